// What a player does while its audio output cannot be opened (no sound
// card, a device that went away): OutputRetry spaces the attempts out and
// says which failures are worth a log line, and RepeatFilter passes each
// distinct message once, so that a retry loop does not flood the log.
// Pure logic, no I/O and no clock of its own: the callers pass the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

namespace disorder {

class OutputRetry {
public:
  // The first retry comes `first` after a failure; each further failure
  // doubles the wait, up to `longest`.
  explicit OutputRetry(std::chrono::milliseconds first = std::chrono::seconds(1),
                       std::chrono::milliseconds longest = std::chrono::seconds(30))
      : first_(first), longest_(longest) {}

  // An attempt failed with `why`.  True when that is news to report: the
  // first failure since the output last worked, or a different reason.
  bool failed(const std::string& why);
  // The output works (again): the next failure is news, and is retried
  // soon.  True if it had been failing.
  bool succeeded();

  bool failing() const { return failing_; }
  // How long to wait before the next attempt (after failed()).
  std::chrono::milliseconds delay() const { return delay_; }
  // "retrying after 1 s, then less and less often, up to every 30 s": for
  // the message that reports the failure.
  std::string describe() const;

private:
  std::chrono::milliseconds first_, longest_;
  std::chrono::milliseconds delay_{0};
  bool failing_ = false;
  std::string last_;
};

class RepeatFilter {
public:
  // Remembers up to `capacity` distinct messages (the oldest is forgotten
  // first), so that memory stays bounded whatever a library says.
  explicit RepeatFilter(std::size_t capacity = 64) : capacity_(capacity) {}

  // True the first time `message` is seen since the last reset().
  bool first_time(const std::string& message);
  void reset() { seen_.clear(); }

private:
  std::size_t capacity_;
  std::deque<std::string> seen_;
};

} // namespace disorder
