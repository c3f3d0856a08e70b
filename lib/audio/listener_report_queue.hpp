// The hand-over of listeners' reports from the rtp backend's time service
// thread (rtp_time_service.hpp) to the speaker's loop thread, which sends
// each one to disorderd as a `listener` message (speaker_protocol.hpp).
//
// A mutex-protected bounded queue and an eventfd: the service thread
// pushes (never the audio thread), the loop thread watches fd() and pops.
// The queue holds at most kCapacity reports; when it is full the oldest is
// dropped, so a stuck loop thread costs memory that is bounded.
#pragma once

#include "fd.hpp"

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace disorder {

// One `listener` message without its first field: ADDRESS CNAME KEY VALUE ...
using ListenerReport = std::vector<std::string>;

class ListenerReportQueue {
public:
  static constexpr std::size_t kCapacity = 128;

  // Throws SystemError if no eventfd can be made.
  ListenerReportQueue();
  ListenerReportQueue(const ListenerReportQueue&) = delete;
  ListenerReportQueue& operator=(const ListenerReportQueue&) = delete;

  // Any thread.  Makes fd() readable.
  void push(ListenerReport report);
  // Loop thread: readable while reports wait.  After it polls readable,
  // call take() until it returns false.
  int fd() const { return event_fd_.get(); }
  // Clears fd()'s readiness and moves every waiting report to `out`
  // (replacing its contents); false if there were none.
  bool take(std::vector<ListenerReport>& out);

private:
  Fd event_fd_;
  std::mutex mutex_;
  std::deque<ListenerReport> reports_;
};

} // namespace disorder
