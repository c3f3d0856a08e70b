// Real-time pacing for backends whose sink would accept audio faster than
// it plays (a pipe to a command, a file driver, an ALSA plugin without a
// clock): keep what has been written no more than `lead` ahead of
// CLOCK_MONOTONIC, so that pause and cancel take effect at once.  Used on
// the audio thread only; no allocation, no locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace disorder {

// The SCHED_FIFO priority of the audio threads (disorder-speaker's and
// disorder-playrtp's).
inline constexpr int kAudioRealtimePriority = 5;
// Asks for SCHED_FIFO at `priority` for the calling thread alone, with
// SCHED_RESET_ON_FORK so that children (a speaker_command) do not inherit
// it; the system grants it to root or under RLIMIT_RTPRIO.  Logs (at debug
// level) whether `who` was granted it.
void request_realtime_priority(const char* who = "audio thread",
                               int priority = kAudioRealtimePriority);
// Whether the calling thread runs under SCHED_FIFO.
bool has_realtime_priority();

// CLOCK_MONOTONIC in nanoseconds.
std::int64_t monotonic_ns();
// clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until `when` (retried on EINTR).
void sleep_until_ns(std::int64_t when);

class Pacer {
public:
  // tolerance: how far behind real time the output may fall before wait()
  // takes it for a gap.  Zero suits a lead of more than a write; a sink
  // written just as each write falls due (a lead of one write) falls behind
  // by its wake-up latency every time, and must keep its schedule rather
  // than start again from each late wake-up (which would slow it down).
  void start(std::uint32_t rate, std::chrono::nanoseconds lead,
             std::chrono::nanoseconds tolerance = std::chrono::nanoseconds(0));
  // Before writing `frames`: sleeps until, once they are written, the
  // output is at most `lead` ahead of now.  After a gap (when the output
  // has fallen behind real time by more than the tolerance, e.g. after idle
  // or a pause) it starts again from now rather than rushing to catch up.
  void wait(std::size_t frames);
  void written(std::size_t frames);
  // Forget the past: the next write plays "now".
  void restart() { anchored_ = false; }
  // How far the output is ahead of now (negative: behind).
  std::chrono::nanoseconds ahead() const;
  // Re-anchor so that ahead() is `d` (from a device's own delay report).
  void set_ahead(std::chrono::nanoseconds d);

private:
  std::int64_t position_ns() const;

  std::uint32_t rate_ = 44100;
  std::int64_t lead_ns_ = 0;
  std::int64_t tolerance_ns_ = 0;
  bool anchored_ = false;
  std::int64_t anchor_ns_ = 0; // monotonic time of frame 0
  std::uint64_t frames_ = 0;   // frames since the anchor, less than rate_ after normalising
};

} // namespace disorder
