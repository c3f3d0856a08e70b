// Where another host's monotonic clock is against ours, learnt from
// four-timestamp exchanges (time_exchange.hpp): for one exchange the
// round trip is (t4 - t1) and, if the two directions took as long, the
// other clock read (t2 + t3) / 2 when ours read (t1 + t4) / 2.  Queueing
// only ever lengthens a round trip and skews it, so exchanges with the
// shortest round trips carry the truest offsets.
//
// The estimator keeps the last Settings::window exchanges, takes the
// Settings::best share with the shortest round trips, and fits a straight
// line through their offsets against our clock (least squares): the line's
// value is the offset, its slope the rate difference (drift), so the
// estimate follows drift between exchanges and extrapolates across a gap.
// Before Settings::min_samples exchanges, or while the kept exchanges span
// too short a time to measure a slope, the rate difference is taken as
// zero.  A step in the network delay (a route change) leaves the old
// short-round-trip exchanges in the window until they age out; a step in
// the other clock (a restarted sender) is seen as Settings::step_run
// consecutive exchanges whose offsets disagree with the estimate by more
// than their own round trips allow, and restarts the estimator from them.
//
// Pure: the caller supplies every instant (nanoseconds), so tests run it
// against simulated clocks.  Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace disorder {

class ClockEstimator {
public:
  struct Settings {
    std::size_t window = 64;     // exchanges kept
    double best = 0.25;          // share of them (shortest round trips) fitted
    std::size_t min_samples = 4; // before this many, valid() is false
    std::size_t step_run = 4;    // inconsistent exchanges in a row that restart it
  };

  struct Exchange {
    std::int64_t t1 = 0, t2 = 0, t3 = 0, t4 = 0; // t1, t4 ours; t2, t3 the other host's
  };

  ClockEstimator() : ClockEstimator(Settings{}) {}
  explicit ClockEstimator(const Settings& settings);

  // One exchange.  Impossible ones (t4 < t1, t3 < t2, or a round trip
  // shorter than the other host's holding time) are ignored: false.
  bool add(const Exchange& exchange);
  void reset();

  bool valid() const;
  // The other clock's reading when ours reads local_ns, and the inverse.
  // Meaningful only when valid().
  std::int64_t to_remote(std::int64_t local_ns) const;
  std::int64_t to_local(std::int64_t remote_ns) const;
  // Other clock minus ours, now (at local_ns), in nanoseconds.
  double offset_ns(std::int64_t local_ns) const;
  // How much faster the other clock runs than ours, in parts per million.
  double drift_ppm() const;
  // A bound on the offset's error: half the shortest round trip kept (the
  // most its asymmetry can hide) plus the fit's residual spread.
  std::int64_t uncertainty_ns() const;
  // Exchanges accepted and kept; restarts after a step.
  std::size_t samples() const;
  std::uint64_t restarts() const { return restarts_; }

private:
  void refit();

  Settings settings_;
  std::vector<Exchange> kept_; // ring of the last settings_.window, oldest first after sorting
  std::size_t next_ = 0;
  std::uint64_t restarts_ = 0;
  std::size_t inconsistent_run_ = 0;
  // The fitted line: offset(local) = offset_at_ref_ + rate_ * (local - ref_ns_).
  bool fitted_ = false;
  std::int64_t ref_ns_ = 0;
  double offset_at_ref_ = 0;
  double rate_ = 0;
  std::int64_t uncertainty_ns_ = 0;
};

} // namespace disorder
