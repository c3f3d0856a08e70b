// Unit tests for ClockEstimator against simulated clocks and networks: two
// monotonic clocks around 1e15 ns that disagree by seconds and in rate, a
// LAN's round trips with asymmetric exponential jitter and outliers, and
// the events it must ride out (a step in one direction's delay, a gap) or
// follow (a restarted sender's clock).  Each scenario runs over several
// seeds and checks the worst error against the true clocks, and how soon
// the estimate is valid and within bounds.
#include "clock_estimator.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

using namespace disorder;

namespace {

constexpr double kUs = 1e3, kMs = 1e6, kS = 1e9; // in nanoseconds

struct Network {
  double out_base = 50 * kUs, in_base = 50 * kUs;     // each way, at best
  double out_jitter = 15 * kUs, in_jitter = 60 * kUs; // means of exponential jitter
  double outliers = 0.05;                             // share delayed one way by...
  double outlier_min = 5 * kMs, outlier_max = 50 * kMs;
  bool uniform = false;   // jitter uniform in [0, 2 * mean) instead of exponential
  double base_spread = 0; // each way's base delay uniform in [base, base + spread)
  double loss = 0;        // share of exchanges lost (request or answer)
};

// The listener's clock is the reference (rate 1); the sender's runs
// rate_ppm faster and steps by step_ns at step_at.
struct Clocks {
  std::int64_t local0 = 1'500'000'000'123'456;  // ~17 days of uptime
  std::int64_t remote0 = 3'700'000'987'654'321; // ~43 days
  double rate_ppm = 0;
  double step_at = -1;
  std::int64_t step_ns = 0;

  std::int64_t local(double t) const { return local0 + std::llround(t); }
  std::int64_t remote(double t) const {
    return remote0 + std::llround(t * (1 + rate_ppm * 1e-6)) +
           (step_at >= 0 && t >= step_at ? step_ns : 0);
  }
};

// Deterministic on every platform (the standard distributions are not).
class Random {
public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15u + 1) {}
  double uniform() { // [0, 1)
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<double>(state_ >> 11) * 0x1p-53;
  }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }

private:
  std::uint64_t state_;
};

struct Scenario {
  Network net;
  Clocks clocks;
  double duration = 300 * kS;
  ClockEstimator::Settings settings;
  double fast_interval = 250 * kMs; // while settling(), as the header advises
  double slow_interval = 1 * kS;    // after
  // A step in the outbound delay from delay_step_at on.
  double delay_step_at = -1;
  double delay_step = 0;
  // No exchanges from gap_at for gap long.
  double gap_at = -1, gap = 0;
  double steady_from = 30 * kS; // when the steady-state figures start
  double converged = 50 * kUs;  // the bound that the convergence time is taken for
  double drift_tolerance = 1;   // ppm, at the end
};

struct Figures {
  double valid_at = -1; // true time of the first valid estimate
  double max_uncertainty = 0;
  double final_drift_ppm = 0;
  std::uint64_t restarts = 0;
  std::vector<std::pair<double, double>> errors; // (true time, error) at every check

  // From when on every error was within the bound (0: from valid on).
  double within(double bound, double from = 0) const {
    double last_bad = 0;
    for (const auto& [at, error] : errors)
      if (at >= from && std::abs(error) > bound) last_bad = at;
    return last_bad;
  }
  double max_error(double from, double to = 1e300) const {
    double worst = 0;
    for (const auto& [at, error] : errors)
      if (at >= from && at <= to) worst = std::max(worst, std::abs(error));
    return worst;
  }
};

// Runs a scenario; errors are checked at each answer and just before the
// next request (the estimate extrapolated furthest).
Figures run(const Scenario& sc, std::uint64_t seed) {
  Random rng(seed);
  ClockEstimator est(sc.settings);
  Figures f;
  for (double t = rng.uniform() * 10 * kMs; t < sc.duration;) {
    const bool gap = sc.gap_at >= 0 && t >= sc.gap_at && t < sc.gap_at + sc.gap;
    auto jitter = [&](double mean) {
      return sc.net.uniform ? 2 * mean * rng.uniform() : rng.exponential(mean);
    };
    auto base = [&](double at_best) {
      return at_best + (sc.net.base_spread > 0 ? sc.net.base_spread * rng.uniform() : 0);
    };
    double out = base(sc.net.out_base) + jitter(sc.net.out_jitter);
    double in = base(sc.net.in_base) + jitter(sc.net.in_jitter);
    const bool lost = sc.net.loss > 0 && rng.uniform() < sc.net.loss;
    if (rng.uniform() < sc.net.outliers) {
      const double extra =
          sc.net.outlier_min + rng.uniform() * (sc.net.outlier_max - sc.net.outlier_min);
      (rng.uniform() < 0.5 ? out : in) += extra;
    }
    if (sc.delay_step_at >= 0 && t >= sc.delay_step_at) out += sc.delay_step;
    const double hold = 20 * kUs + rng.uniform() * 40 * kUs;
    const double answered = t + out + hold + in;
    if (!gap && !lost) {
      ClockEstimator::Exchange e;
      e.t1 = sc.clocks.local(t);
      e.t2 = sc.clocks.remote(t + out);
      e.t3 = sc.clocks.remote(t + out + hold);
      e.t4 = sc.clocks.local(answered);
      EXPECT_TRUE(est.add(e));
    }
    const double interval =
        (est.settling() ? sc.fast_interval : sc.slow_interval) * (0.95 + 0.1 * rng.uniform());
    const double next = t + interval;
    if (est.valid()) {
      if (f.valid_at < 0) f.valid_at = answered;
      for (double at : {answered, next - 1 * kUs}) {
        const double error =
            static_cast<double>(est.to_remote(sc.clocks.local(at)) - sc.clocks.remote(at));
        f.errors.emplace_back(at, error);
      }
      f.max_uncertainty = std::max(f.max_uncertainty, static_cast<double>(est.uncertainty_ns()));
    }
    t = next;
  }
  f.final_drift_ppm = est.drift_ppm();
  f.restarts = est.restarts();
  return f;
}

// The worst over several seeds.
struct Summary {
  double valid_at = 0;
  double max_error_once_valid = 0;
  double within_50us = 0, within_20us = 0; // from when on
  double steady_max = 0;                   // after Scenario::steady_from
  double steady_p50 = 0, steady_p99 = 0;
  double converged = 0; // from when on within Scenario::converged
  double max_uncertainty = 0;
  std::uint64_t restarts = 0;
};

Summary run_seeds(const char* name, const Scenario& sc, int seeds = 20) {
  Summary s;
  std::vector<double> steady;
  for (int seed = 1; seed <= seeds; ++seed) {
    const Figures f = run(sc, static_cast<std::uint64_t>(seed));
    EXPECT_GE(f.valid_at, 0) << name << " seed " << seed;
    s.valid_at = std::max(s.valid_at, f.valid_at);
    s.max_error_once_valid = std::max(s.max_error_once_valid, f.max_error(0));
    s.within_50us = std::max(s.within_50us, f.within(50 * kUs));
    s.within_20us = std::max(s.within_20us, f.within(20 * kUs));
    s.steady_max = std::max(s.steady_max, f.max_error(sc.steady_from));
    s.converged = std::max(s.converged, f.within(sc.converged));
    for (const auto& [at, error] : f.errors)
      if (at >= sc.steady_from) steady.push_back(std::abs(error));
    s.max_uncertainty = std::max(s.max_uncertainty, f.max_uncertainty);
    s.restarts += f.restarts;
    EXPECT_NEAR(f.final_drift_ppm, sc.clocks.rate_ppm, sc.drift_tolerance)
        << name << " seed " << seed;
  }
  std::sort(steady.begin(), steady.end());
  if (!steady.empty()) {
    s.steady_p50 = steady[steady.size() / 2];
    s.steady_p99 = steady[steady.size() * 99 / 100];
  }
  std::printf("[ figures  ] %s, worst of %d runs: valid after %.2f s, then error at most %.1f us, "
              "within 50 us from %.2f s, within 20 us from %.2f s, within %.0f us from %.2f s; "
              "after %.0f s p50 %.1f us, p99 %.1f us, max %.1f us; uncertainty at most %.0f us; "
              "%llu restarts\n",
              name, seeds, s.valid_at / kS, s.max_error_once_valid / kUs, s.within_50us / kS,
              s.within_20us / kS, sc.converged / kUs, s.converged / kS, sc.steady_from / kS,
              s.steady_p50 / kUs, s.steady_p99 / kUs, s.steady_max / kUs, s.max_uncertainty / kUs,
              static_cast<unsigned long long>(s.restarts));
  return s;
}

ClockEstimator::Exchange exchange(std::int64_t t1, std::int64_t offset, std::int64_t out,
                                  std::int64_t hold, std::int64_t in) {
  return {t1, t1 + out + offset, t1 + out + hold + offset, t1 + out + hold + in};
}

} // namespace

TEST(ClockEstimator, ImpossibleExchangesAreIgnored) {
  ClockEstimator est;
  EXPECT_FALSE(est.add({100, 50, 60, 90}));  // t4 < t1
  EXPECT_FALSE(est.add({100, 60, 50, 200})); // t3 < t2
  EXPECT_FALSE(est.add({100, 0, 150, 200})); // held longer than the round trip
  EXPECT_EQ(est.samples(), 0u);
  EXPECT_FALSE(est.valid());
  EXPECT_TRUE(est.add({100, 0, 100, 200})); // a round trip of zero is possible
  EXPECT_EQ(est.samples(), 1u);
}

TEST(ClockEstimator, ValidAfterMinSamplesAndExactOnASymmetricNetwork) {
  ClockEstimator est;
  const std::int64_t local = 1'500'000'000'000'000, offset = 2'200'000'000'123'457;
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(est.valid()) << i;
    EXPECT_TRUE(est.settling()) << i;
    ASSERT_TRUE(est.add(exchange(local + i * 250'000'000, offset, 70'000, 20'000, 70'000)));
  }
  ASSERT_TRUE(est.valid());
  EXPECT_EQ(est.samples(), 6u);
  const std::int64_t now = local + 1'000'000'000;
  EXPECT_EQ(est.to_remote(now), now + offset);
  EXPECT_EQ(est.to_local(now + offset), now);
  EXPECT_NEAR(est.offset_ns(now), static_cast<double>(offset), 1);
  EXPECT_NEAR(est.drift_ppm(), 0, 1e-6);
  EXPECT_EQ(est.uncertainty_ns(), 70'000); // half the round trip
  est.reset();
  EXPECT_FALSE(est.valid());
  EXPECT_EQ(est.samples(), 0u);
}

TEST(ClockEstimator, SettlingLastsSettleExchangesAndAgainAfterARestart) {
  ClockEstimator est;
  std::int64_t t = 1'000'000'000'000;
  for (int i = 0; i < 20; ++i, t += 250'000'000) {
    EXPECT_TRUE(est.settling()) << i;
    ASSERT_TRUE(est.add(exchange(t, 5'000'000, 50'000, 10'000, 50'000)));
  }
  EXPECT_FALSE(est.settling());
  // The other clock jumps by a second: after step_run exchanges, a restart.
  for (int i = 0; i < 4; ++i, t += 1'000'000'000) {
    EXPECT_EQ(est.restarts(), 0u);
    EXPECT_EQ(est.settling(), i > 0); // a step seems to be under way
    ASSERT_TRUE(est.add(exchange(t, 1'005'000'000, 50'000, 10'000, 50'000)));
  }
  EXPECT_EQ(est.restarts(), 1u);
  EXPECT_TRUE(est.valid());
  EXPECT_TRUE(est.settling());
  EXPECT_EQ(est.to_remote(t), t + 1'005'000'000);
  for (int i = 4; i < 20; ++i, t += 250'000'000)
    ASSERT_TRUE(est.add(exchange(t, 1'005'000'000, 50'000, 10'000, 50'000)));
  EXPECT_FALSE(est.settling());
}

TEST(ClockEstimator, ToLocalInvertsToRemote) {
  ClockEstimator est;
  Scenario sc;
  sc.clocks.rate_ppm = -431;
  Random rng(7);
  for (int i = 0; i < 40; ++i) {
    const double t = i * 250 * kMs;
    const double out = 50 * kUs + rng.exponential(10 * kUs), in = 50 * kUs;
    est.add({sc.clocks.local(t), sc.clocks.remote(t + out), sc.clocks.remote(t + out + 10 * kUs),
             sc.clocks.local(t + out + 10 * kUs + in)});
  }
  ASSERT_TRUE(est.valid());
  for (double t : {0.0, 5 * kS, 10 * kS, 100 * kS, 3600 * kS}) {
    const std::int64_t local = sc.clocks.local(t);
    EXPECT_NEAR(static_cast<double>(est.to_local(est.to_remote(local)) - local), 0, 1) << t;
  }
}

TEST(ClockEstimator, WindowKeepsTheLastExchanges) {
  ClockEstimator::Settings s;
  s.window = 8;
  ClockEstimator est(s);
  for (int i = 0; i < 20; ++i)
    est.add(exchange(1'000'000'000LL * i, 5'000, 100'000, 10'000, 100'000));
  EXPECT_EQ(est.samples(), 8u);
  EXPECT_THROW(ClockEstimator({.window = 4, .best = 0.25, .min_samples = 5}), Error);
  EXPECT_THROW(ClockEstimator({.window = 4, .best = 0}), Error);
}

TEST(ClockEstimator, LanJitterAndOutliers) {
  // Round trips of 100-300 us, the way back jittering four times as much as
  // the way out, 5% of exchanges delayed 5-50 ms one way.
  const Summary s = run_seeds("LAN, 0 ppm", Scenario{});
  EXPECT_LT(s.valid_at, 1.5 * kS);
  EXPECT_LT(s.max_error_once_valid, 80 * kUs);
  EXPECT_LT(s.within_50us, 2 * kS);
  EXPECT_LT(s.within_20us, 8 * kS);
  EXPECT_LT(s.steady_p99, 12 * kUs);
  EXPECT_LT(s.steady_max, 20 * kUs);
  EXPECT_EQ(s.restarts, 0u);
}

// The paths of a jittery network: the end-to-end test's impairment relay
// (15 ms +- 3 ms uniform each way, 1% loss) and worse.
Scenario relay_path(double interval) {
  Scenario sc;
  sc.net.out_base = sc.net.in_base = 12 * kMs;
  sc.net.out_jitter = sc.net.in_jitter = 3 * kMs;
  sc.net.uniform = true;
  sc.net.outliers = 0;
  sc.net.loss = 0.01;
  sc.clocks.rate_ppm = 23;
  sc.duration = 600 * kS;
  sc.slow_interval = interval;
  sc.steady_from = 120 * kS;
  sc.converged = 500 * kUs;
  sc.drift_tolerance = 20;
  return sc;
}

TEST(ClockEstimator, RelayPathFifteenPlusMinusThreeMs) {
  for (double interval : {1 * kS, 250 * kMs}) {
    const Summary s = run_seeds(interval > 500 * kMs ? "15 +- 3 ms each way, 1% loss, 1/s"
                                                     : "15 +- 3 ms each way, 1% loss, 4/s",
                                relay_path(interval));
    EXPECT_EQ(s.restarts, 0u);
    // Per-direction minima over 1024 exchanges: at 1/s, p99 ~320 us and
    // max ~430 us (mostly while the window fills); at 4/s, ~50 us and
    // ~75 us (round trips alone: ~1 ms and ~2 ms at either rate).
    const bool slow = interval > 500 * kMs;
    EXPECT_LT(s.steady_p50, (slow ? 60 : 25) * kUs);
    EXPECT_LT(s.steady_p99, (slow ? 600 : 150) * kUs);
    EXPECT_LT(s.steady_max, (slow ? 900 : 250) * kUs);
  }
}

TEST(ClockEstimator, UniformJitterZeroToSixMs) {
  Scenario sc = relay_path(1 * kS);
  sc.net.out_base = sc.net.in_base = 0;
  sc.net.loss = 0;
  sc.clocks.rate_ppm = -61;
  const Summary s = run_seeds("0-6 ms uniform each way, 1/s", sc);
  // p99 ~170 us, max ~370 us (round trips alone: 1.1 ms, 1.6 ms).  The
  // first seconds' estimate, from a few round trips, can be off by more
  // than the step margin: a restart now and then, not asserted on.
  EXPECT_LT(s.steady_p50, 50 * kUs);
  EXPECT_LT(s.steady_p99, 400 * kUs);
  EXPECT_LT(s.steady_max, 800 * kUs);
}

TEST(ClockEstimator, WifiLikeJitterAndOutliers) {
  for (double interval : {1 * kS, 250 * kMs}) {
    Scenario sc;
    sc.net.out_base = sc.net.in_base = 1 * kMs;
    sc.net.base_spread = 2 * kMs;
    sc.net.out_jitter = sc.net.in_jitter = 2 * kMs;
    sc.net.outliers = 0.02;
    sc.net.outlier_min = 20 * kMs;
    sc.net.outlier_max = 100 * kMs;
    sc.clocks.rate_ppm = 87;
    sc.duration = 600 * kS;
    sc.slow_interval = interval;
    sc.steady_from = 120 * kS;
    sc.converged = 500 * kUs;
    sc.drift_tolerance = 20;
    const bool slow = interval > 500 * kMs;
    const Summary s = run_seeds(slow ? "Wi-Fi-like, 1-3 ms + exp(2 ms) each way, 2% outliers, 1/s"
                                     : "Wi-Fi-like, 1-3 ms + exp(2 ms) each way, 2% outliers, 4/s",
                                sc);
    EXPECT_EQ(s.restarts, 0u);
    // At 1/s p99 ~400 us, max ~660 us (round trips alone: 860 us, 1.5 ms);
    // at 4/s ~220 us and ~410 us.
    EXPECT_LT(s.steady_p50, (slow ? 200 : 100) * kUs);
    EXPECT_LT(s.steady_p99, (slow ? 900 : 450) * kUs);
    EXPECT_LT(s.steady_max, (slow ? 1500 : 800) * kUs);
  }
}

TEST(ClockEstimator, FollowsAFiveHundredPpmRateDifference) {
  for (double ppm : {500.0, -500.0}) {
    Scenario sc;
    sc.clocks.rate_ppm = ppm;
    const Summary s = run_seeds(ppm > 0 ? "LAN, +500 ppm" : "LAN, -500 ppm", sc);
    EXPECT_LT(s.valid_at, 1.5 * kS) << ppm;
    EXPECT_LT(s.max_error_once_valid, 80 * kUs) << ppm;
    EXPECT_LT(s.within_50us, 3 * kS) << ppm;
    EXPECT_LT(s.steady_max, 20 * kUs) << ppm;
    EXPECT_EQ(s.restarts, 0u) << ppm;
  }
}

TEST(ClockEstimator, ExtrapolatesAcrossAGap) {
  // No answers for 30 s (a network outage), at 200 ppm.
  Scenario sc;
  sc.clocks.rate_ppm = 200;
  sc.gap_at = 100 * kS;
  sc.gap = 30 * kS;
  const Summary s = run_seeds("LAN, 200 ppm, 30 s without answers", sc);
  EXPECT_LT(s.within_50us, 3 * kS);
  EXPECT_LT(s.steady_max, 50 * kUs);
  EXPECT_EQ(s.restarts, 0u);
}

TEST(ClockEstimator, AStepInOneWaysDelayMovesTheEstimateByAtMostHalfOfIt) {
  // From 120 s on, every request takes 10 ms longer to arrive.  Nothing
  // can tell that from the sender's clock being 5 ms ahead; the estimate
  // must not be thrown off by more than that, nor restart, and must settle
  // once the window has turned over.
  Scenario sc;
  sc.clocks.rate_ppm = 37;
  sc.delay_step_at = 120 * kS;
  sc.delay_step = 10 * kMs;
  double worst = 0, settled_at = 0;
  for (int seed = 1; seed <= 10; ++seed) {
    const Figures f = run(sc, static_cast<std::uint64_t>(seed));
    EXPECT_EQ(f.restarts, 0u) << seed;
    EXPECT_LT(f.max_error(30 * kS, sc.delay_step_at), 20 * kUs) << seed;
    const double after = f.max_error(sc.delay_step_at);
    EXPECT_LT(after, 5 * kMs + 20 * kUs) << seed;
    worst = std::max(worst, after);
    // Settled: from some point on, within 20 us of where it ends up.
    const double end = f.errors.back().second;
    double last_off = 0;
    for (const auto& [at, error] : f.errors)
      if (std::abs(error - end) > 20 * kUs) last_off = at;
    EXPECT_LT(last_off, sc.delay_step_at + 100 * kS) << seed;
    EXPECT_NEAR(end, 5 * kMs, 20 * kUs) << seed;
    settled_at = std::max(settled_at, last_off - sc.delay_step_at);
  }
  std::printf("[ figures  ] +10 ms step in the outbound delay at 37 ppm, worst of 10 runs: "
              "error at most %.3f ms after it, settled %.1f s after it\n",
              worst / kMs, settled_at / kS);
}

TEST(ClockEstimator, AStepDownInOneWaysDelayMovesTheEstimateByAtMostHalfOfIt) {
  // The way out takes 12 ms and the way back 2 ms, so that the estimate is
  // 5 ms out (nothing can tell); from 120 s on the way out takes 2 ms too
  // (a shorter route): the estimate moves by half the step at once, onto
  // the truth, and the rate fitted across the step is not thrown.
  Scenario sc;
  sc.net.out_base = 12 * kMs;
  sc.net.in_base = 2 * kMs;
  sc.clocks.rate_ppm = -37;
  sc.delay_step_at = 120 * kS;
  sc.delay_step = -10 * kMs;
  double settled_at = 0;
  for (int seed = 1; seed <= 10; ++seed) {
    const Figures f = run(sc, static_cast<std::uint64_t>(seed));
    EXPECT_EQ(f.restarts, 0u) << seed;
    EXPECT_NEAR(f.final_drift_ppm, sc.clocks.rate_ppm, 1) << seed;
    EXPECT_LT(f.max_error(f.valid_at + 1 * kS), 5 * kMs + 100 * kUs) << seed;
    EXPECT_NEAR(f.max_error(30 * kS, sc.delay_step_at), 5 * kMs, 20 * kUs) << seed;
    const double end = f.errors.back().second;
    double last_off = 0;
    for (const auto& [at, error] : f.errors)
      if (std::abs(error - end) > 20 * kUs) last_off = at;
    EXPECT_LT(last_off, sc.delay_step_at + 100 * kS) << seed;
    EXPECT_NEAR(end, 0, 20 * kUs) << seed;
    settled_at = std::max(settled_at, last_off - sc.delay_step_at);
  }
  std::printf("[ figures  ] -10 ms step in the outbound delay at -37 ppm, worst of 10 runs: "
              "settled %.1f s after it\n",
              settled_at / kS);
}

TEST(ClockEstimator, FollowsARestartedSendersClockWithinStepRunExchanges) {
  double worst_follow = 0, worst_after = 0;
  for (std::int64_t step : {std::int64_t{3'700'000'000}, std::int64_t{-50'000'000},
                            std::int64_t{-86'400'000'000'000}}) {
    Scenario sc;
    sc.clocks.rate_ppm = -120;
    sc.clocks.step_at = 100 * kS;
    sc.clocks.step_ns = step;
    for (int seed = 1; seed <= 10; ++seed) {
      const Figures f = run(sc, static_cast<std::uint64_t>(seed));
      EXPECT_EQ(f.restarts, 1u) << step << " seed " << seed;
      EXPECT_LT(f.max_error(30 * kS, sc.clocks.step_at - 1 * kS), 20 * kUs) << seed;
      // Within step_run (4) exchanges, the first at one a second and the
      // rest a few a second (settling()), the estimate is on the new clock.
      const double follow = f.within(50 * kUs, sc.clocks.step_at) - sc.clocks.step_at;
      EXPECT_LT(follow, 3 * kS) << step << " seed " << seed;
      worst_follow = std::max(worst_follow, follow);
      worst_after = std::max(worst_after, f.max_error(sc.clocks.step_at + 30 * kS));
    }
  }
  EXPECT_LT(worst_after, 20 * kUs);
  std::printf("[ figures  ] sender's clock stepped, worst of 30 runs: within 50 us again %.2f s "
              "after the step, error at most %.1f us from 30 s after it\n",
              worst_follow / kS, worst_after / kUs);
}

TEST(ClockEstimator, ExtremeInstantsNeitherOverflowNorCount) {
  // The other host's instants come from the network: anything at all.
  ClockEstimator est;
  constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  EXPECT_FALSE(est.add({0, lo, lo + 10, 100}));
  EXPECT_FALSE(est.add({0, hi - 10, hi, 100}));
  EXPECT_FALSE(est.add({lo, 0, 10, hi}));
  EXPECT_EQ(est.samples(), 0u);
  // Valid estimates, then conversions of instants far from any exchange.
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(est.add(exchange(1'000'000'000LL * i, 1'000'000'000'000'000'000, 100, 10, 100)));
  ASSERT_TRUE(est.valid());
  EXPECT_EQ(est.to_remote(hi), hi);
  EXPECT_EQ(est.to_local(lo), lo);
  EXPECT_EQ(est.to_remote(5'000'000'000), 1'000'000'005'000'000'000);
  EXPECT_EQ(est.to_local(1'000'000'005'000'000'000), 5'000'000'000);
  // A wildly different offset counts towards a restart like any other.
  for (int i = 6; i < 10; ++i)
    EXPECT_TRUE(est.add(exchange(1'000'000'000LL * i, -1'000'000'000'000'000'000, 100, 10, 100)));
  EXPECT_EQ(est.restarts(), 1u);
  EXPECT_TRUE(est.valid());
  EXPECT_EQ(est.to_remote(30'000'000'000), 30'000'000'000 - 1'000'000'000'000'000'000);
}
