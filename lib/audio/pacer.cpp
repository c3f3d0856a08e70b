// Real-time pacing against CLOCK_MONOTONIC.
#include "pacer.hpp"

#include "log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sched.h>
#include <string>

namespace disorder {

void request_realtime_priority(const char* who, int priority) {
  // pid 0: this thread alone.
  sched_param param{};
  param.sched_priority = priority;
  if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0)
    log_debug(std::string(who) + ": SCHED_FIFO priority " + std::to_string(priority));
  else
    log_debug(std::string(who) + ": no real-time priority (" + std::strerror(errno) + ")");
}

bool has_realtime_priority() {
  return (::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO;
}

std::int64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void sleep_until_ns(std::int64_t when) {
  timespec ts{static_cast<time_t>(when / 1000000000), static_cast<long>(when % 1000000000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void Pacer::start(std::uint32_t rate, std::chrono::nanoseconds lead,
                  std::chrono::nanoseconds tolerance) {
  rate_ = rate;
  lead_ns_ = lead.count();
  tolerance_ns_ = tolerance.count();
  anchored_ = false;
}

std::int64_t Pacer::position_ns() const {
  return anchor_ns_ + static_cast<std::int64_t>(frames_ * 1000000000ull / rate_);
}

void Pacer::wait(std::size_t frames) {
  const std::int64_t now = monotonic_ns();
  if (!anchored_ || position_ns() < now - tolerance_ns_) {
    anchor_ns_ = now;
    frames_ = 0;
    anchored_ = true;
  }
  const std::int64_t end =
      anchor_ns_ + static_cast<std::int64_t>((frames_ + frames) * 1000000000ull / rate_);
  if (end - lead_ns_ > now) sleep_until_ns(end - lead_ns_);
}

void Pacer::written(std::size_t frames) {
  frames_ += frames;
  // Keep frames_ small so that frames_ * 1e9 cannot overflow, exactly.
  while (frames_ >= rate_) {
    frames_ -= rate_;
    anchor_ns_ += 1000000000;
  }
}

std::chrono::nanoseconds Pacer::ahead() const {
  if (!anchored_) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(position_ns() - monotonic_ns());
}

void Pacer::set_ahead(std::chrono::nanoseconds d) {
  anchor_ns_ =
      monotonic_ns() + d.count() - static_cast<std::int64_t>(frames_ * 1000000000ull / rate_);
  anchored_ = true;
}

} // namespace disorder
