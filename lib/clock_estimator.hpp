// Where another host's monotonic clock is against ours, learnt from
// four-timestamp exchanges (time_exchange.hpp): for one exchange the
// round trip is (t4 - t1) and, if the two directions took as long, the
// other clock read (t2 + t3) / 2 when ours read (t1 + t4) / 2.  Queueing
// only ever lengthens a round trip and skews it, so exchanges with the
// shortest round trips carry the truest offsets.
//
// The estimator keeps the last Settings::window exchanges, takes the
// Settings::best share of a full window with the shortest round trips (all
// of them while there are fewer), and fits a straight line through their
// offsets against our clock: the line's value is the offset, its slope the
// rate difference (drift), so the estimate follows drift between exchanges
// and extrapolates across a gap.  The fit is weighted least squares, each
// exchange weighing by how little its round trip exceeds the shortest (an
// exchange's offset can be off by half that excess), and the slope leans
// towards zero when the exchanges span too short a time to measure it
// (a prior of 1000 ppm).  While the exchanges that weigh are bunched in
// time (the last few of an old network delay among many of a new one, or
// the reverse), the rate measured before is kept.
//
// A step in the network delay (a route change) cannot be told from a step
// in the other clock by half as much; the estimate moves by at most half
// the step, once the old short-round-trip exchanges have aged out of the
// window (or the step has been seen, below).  A step in the other clock (a restarted sender) is
// seen as Settings::step_run consecutive exchanges whose offsets agree with each other and disagree
// with the estimate by more than their own round trips allow (plus 1 ms, plus the estimate's
// uncertainty): the estimator restarts from them and is valid again at once.  Steps under a
// millisecond are not told from noise, only absorbed as the window turns.
//
// Once Settings::envelope_window is long enough (32 exchanges), each
// direction is filtered on its own instead.  With offset θ, (t2 - t1) is
// θ plus the way out's delay and (t4 - t3) is the way back's delay less θ
// (the sender's holding time, t3 - t2, falls out); detrended by the rate,
// each way's minimum over the last envelope_window exchanges (1024) is
// approached independently (a round trip is short only when both ways are
// lucky at once, far rarer on a jittery path), and θ is half their
// difference.  The rate is the one that leaves the least room between the
// two ways' lower envelopes (a bisection over their convex hulls); the
// uncertainty is half the sum of the two minima.  If the last 32
// exchanges' minimum of either way stays well away from the older ones'
// for 32 exchanges (a step in one way's delay, such as a route change),
// the older ones are forgotten, and the rate measured before them is kept
// until 64 exchanges have come since.  A difference between the two ways'
// base delays is undetectable by any method: the estimate is off by half
// of it.
//
// Pacing, which the caller chooses: a few exchanges a second (four) while
// settling() (the first Settings::settle exchanges, while a step seems to
// be under way, and again after a restart), then one a second.  So paced,
// a LAN's estimate is valid after min_samples exchanges (1.3 s), within
// 50 us of the truth from then on and within 20 us after about 5 s, p99
// ~3 us from 30 s on.  On a jittery path the error falls as the window
// fills (it is of the order of the jitter over the number of exchanges):
// with 15 +- 3 ms each way, p99 ~320 us at one exchange a second, ~50 us
// at four a second, which also converges four times as fast (within
// 0.5 ms after ~35 s rather than ~120 s): on such a path, exchange four a
// second throughout (tests/unit/clock_estimator_test.cpp has the figures).
// Each exchange costs ~10 us of CPU with 1024 kept.
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
    std::size_t min_samples = 6; // before this many, valid() is false
    std::size_t step_run = 4;    // inconsistent exchanges in a row that restart it
    std::size_t settle = 20;     // exchanges before settling() ends
    // Exchanges kept for the per-direction estimate (0: round trips only).
    std::size_t envelope_window = 1024;
  };

  struct Exchange {
    std::int64_t t1 = 0, t2 = 0, t3 = 0, t4 = 0; // t1, t4 ours; t2, t3 the other host's
  };

  ClockEstimator() : ClockEstimator(Settings{}) {}
  // Throws Error for settings that contradict each other (min_samples or
  // step_run more than window, best not in (0, 1]).
  explicit ClockEstimator(const Settings& settings);

  // One exchange.  Impossible ones (t4 < t1, t3 < t2, or a round trip
  // shorter than the other host's holding time) and ones whose clocks are
  // too far apart to compare (2^61 ns) are ignored: false.
  // Throws nothing; never allocates after construction.
  bool add(const Exchange& exchange);
  void reset();

  // After min_samples exchanges, or step_run after a restart.
  bool valid() const;
  // The other clock's reading when ours reads local_ns, and the inverse.
  // Meaningful only when valid().
  std::int64_t to_remote(std::int64_t local_ns) const;
  std::int64_t to_local(std::int64_t remote_ns) const;
  // Other clock minus ours, now (at local_ns), in nanoseconds.
  double offset_ns(std::int64_t local_ns) const;
  // How much faster the other clock runs than ours, in parts per million.
  double drift_ppm() const;
  // A bound on the offset's error: half the sum of the two ways' minimum
  // transit times (the most their asymmetry can hide) once each way is
  // filtered on its own; before that (or while the ways contradict each
  // other), half the shortest round trip kept plus the fit's residual
  // spread.  The largest int64 before the first exchange.
  std::int64_t uncertainty_ns() const;
  // Exchanges accepted and kept; restarts after a step.
  std::size_t samples() const;
  std::uint64_t restarts() const { return restarts_; }
  // True until valid() and Settings::settle exchanges have been accepted
  // since the start or the last restart, and while exchanges suggest a
  // step in the other clock: exchange a few a second then, so that the
  // rate is measured soon and a step confirmed soon.
  bool settling() const;

private:
  // One exchange as the fit sees it.  Offsets are kept doubled so that
  // they stay exact integers.
  struct Sample {
    std::int64_t local_ns = 0;     // our clock midway through the exchange
    std::int64_t twice_offset = 0; // (t2 - t1) + (t3 - t4): twice the offset it measured
    std::int64_t rtt_ns = 0;       // (t4 - t1) - (t3 - t2)
  };

  // The fitted offset at local_ns, less base_offset_ns_.
  double fitted_at(std::int64_t local_ns) const;
  // Whether the exchange fits the estimate: the other clock's reading lies
  // within the exchange's own round trip of it, give or take the estimate's
  // own error.
  bool consistent(const Sample& sample) const;
  void keep(const Sample& sample);
  void restart_from_run();
  void refit();
  // The per-direction estimate (see the header comment), over the kept
  // exchanges in time order; true if it replaced the round-trip fit.
  bool refit_directions();

  Settings settings_;
  std::size_t needed_;       // for valid(): min_samples, or step_run after a restart
  std::vector<Sample> kept_; // ring of the last settings_.window; next_ is the oldest once full
  std::size_t next_ = 0;
  std::size_t newest_ = 0;
  std::vector<Sample> run_;        // the inconsistent exchanges in a row so far
  std::vector<std::size_t> order_; // scratch for refit(), kept to avoid allocating
  // Scratch for refit_directions(): the kept exchanges in time order, as
  // x (local instant less ref_ns_) and each way's transit (less the base
  // offset, so small), and a lower hull's points.
  struct Point {
    double x = 0, out = 0, back = 0;
  };
  std::vector<Point> points_;
  std::vector<std::size_t> hull_, hull_back_;
  std::vector<double> excess_, slopes_, slopes_back_;
  std::vector<Sample> ways_;    // ring of the last envelope_window exchanges
  std::size_t ways_next_ = 0;   // the oldest once full
  std::size_t high_run_ = 0;    // refits in a row with the recent minimum of a way high
  bool dir_rate_known_ = false; // dir_rate_ measured from both ways' envelopes
  bool hold_rate_ = false;      // after a step in one way's delay, until enough exchanges
  double dir_rate_ = 0;
  std::uint64_t restarts_ = 0;
  std::size_t settled_count_ = 0; // exchanges accepted since the start or a restart
  // The fitted line:
  // offset(local) = base_offset_ns_ + offset_at_ref_ + rate_ * (local - ref_ns_),
  // with the large part of the offset an exact integer so that doubles
  // only carry what is small (clocks read ~1e15 ns and more).
  bool fitted_ = false;
  std::int64_t ref_ns_ = 0;
  std::int64_t base_offset_ns_ = 0;
  double offset_at_ref_ = 0;
  double rate_ = 0;
  double rate_sigma_ = 0;   // the slope's standard error
  bool rate_known_ = false; // measured from min_samples exchanges or more
  std::int64_t uncertainty_ns_ = 0;
};

} // namespace disorder
