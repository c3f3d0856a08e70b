// The output's schedule: its own delay report, or written frames at the
// nominal rate.
#include "output_clock.hpp"

namespace disorder::playrtp {

std::int64_t OutputClock::position_ns() const {
  return anchor_ns_ + static_cast<std::int64_t>(frames_ * 1'000'000'000ull / rate_);
}

std::int64_t OutputClock::audible_ns(std::int64_t now_ns, std::int64_t reported_delay_ns) {
  if (reported_delay_ns != 0) {
    anchored_ = true;
    anchor_ns_ = now_ns + reported_delay_ns;
    frames_ = 0;
    return anchor_ns_;
  }
  if (!anchored_ || position_ns() < now_ns) {
    anchored_ = true;
    anchor_ns_ = now_ns;
    frames_ = 0;
  }
  return position_ns();
}

void OutputClock::written(std::size_t frames) {
  frames_ += frames;
  while (frames_ >= rate_) { // keep frames_ * 1e9 far from overflowing
    frames_ -= rate_;
    anchor_ns_ += 1'000'000'000;
  }
}

} // namespace disorder::playrtp
