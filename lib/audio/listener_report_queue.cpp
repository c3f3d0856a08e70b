// The bounded queue of listeners' reports between two threads.
#include "listener_report_queue.hpp"

#include "error.hpp"

#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace disorder {

ListenerReportQueue::ListenerReportQueue() : event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!event_fd_) throw_errno("eventfd");
}

void ListenerReportQueue::push(ListenerReport report) {
  {
    std::lock_guard lock(mutex_);
    if (reports_.size() == kCapacity) reports_.pop_front();
    reports_.push_back(std::move(report));
  }
  const std::uint64_t one = 1;
  // EAGAIN (the counter is saturated) still leaves it readable.
  [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
}

bool ListenerReportQueue::take(std::vector<ListenerReport>& out) {
  std::uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(event_fd_.get(), &count, sizeof count);
  out.clear();
  std::lock_guard lock(mutex_);
  while (!reports_.empty()) {
    out.push_back(std::move(reports_.front()));
    reports_.pop_front();
  }
  return !out.empty();
}

} // namespace disorder
