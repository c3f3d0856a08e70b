// When the output will sound the next frame it is given: what playout is
// scheduled against.  An output that knows its own delay (a sound card
// through ALSA, a --command paced by disorder-playrtp) says so, and that
// is used as it is, so that its clock -- which may run a little fast or
// slow -- is the one the drift controller follows.  One that reports none
// (libao, an ALSA plugin with no clock) accepts audio ahead of time
// without saying how much: then the next frame sounds when the frames
// written since the output started have played at the nominal rate,
// counted from the first of them (or from now, if that has passed: the
// output ran dry meanwhile).  Pure; the audio thread's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace disorder::playrtp {

class OutputClock {
public:
  explicit OutputClock(std::uint32_t rate) : rate_(rate) {}

  // The output was reopened or resumed: forget what was written.
  void restart() { anchored_ = false; }
  // reported_delay_ns: the output's own account of what it holds, 0 if it
  // has none.  Negative: the output is behind its own schedule (a command
  // written when due, by a thread woken late), and the next frame is
  // still the one for that instant of the schedule.
  std::int64_t audible_ns(std::int64_t now_ns, std::int64_t reported_delay_ns);
  void written(std::size_t frames);

private:
  std::int64_t position_ns() const;

  std::uint32_t rate_;
  bool anchored_ = false;
  std::int64_t anchor_ns_ = 0;
  std::uint64_t frames_ = 0; // since the anchor, less than rate_ after normalising
};

} // namespace disorder::playrtp
