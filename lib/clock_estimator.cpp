// ClockEstimator: a weighted, slope-regularised least-squares line through
// the offsets of the exchanges with the shortest round trips, then, with
// enough exchanges, each way's detrended minimum on its own; and the
// consistency test that tells a restarted clock from network trouble.
#include "clock_estimator.hpp"

#include "error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace disorder {

namespace {

// An exchange whose offset misses the estimate by this much more than its
// round trip allows is taken as evidence of a step in the other clock.
// Smaller steps are not told from noise: they are absorbed as the window
// turns over.
constexpr double kStepMargin = 1e6; // ns

// The prior on the rate difference: a standard deviation, so that a fit
// over a short span (two exchanges a fraction of a second apart) leans
// towards equal rates rather than towards a slope made of jitter, while a
// fit over seconds follows whatever the data say.  Crystals are within
// ±100 ppm of each other; this is generous.
constexpr double kRatePrior = 1e-3;

// Rate error assumed on top of the fit's own, when extrapolating the
// estimate to test an exchange against it.
constexpr double kRateSlack = 20e-6;
// The most two clocks are taken to differ in rate when comparing the
// exchanges of a run with each other (no fit to go by there).
constexpr double kRateBound = 1e-3;

// The per-direction estimate needs this many exchanges.
constexpr std::size_t kDirMin = 32;
// A step in one way's delay: the last kRecent exchanges' minimum away from
// the older ones' by kStepJitters kRecent-ths of their median excess over it,
// and at least kStepFloor, for kRecent exchanges in a row.
constexpr std::size_t kRecent = 32;
constexpr double kStepJitters = 48;
constexpr double kStepFloor = 50e3; // ns

// The fitted exchanges measure the rate if the standard deviation of their
// instants is at least this share of the window's span (1/sqrt(12), about
// 1/3.5, is what evenly spread exchanges give): one sixth.
constexpr double kSpreadShare = 6;
// The exchanges that weigh in a fit, for that test: those whose noise is
// within this factor of the best's (a hundredth of its weight, or more).
constexpr double kHeavy = 10;

// The offset an exchange measures is off by at most half its round trip's
// excess over the shortest, plus what even the shortest hides; the fit
// weighs each exchange by the inverse square of that.  The floor is a
// share of the shortest round trip (the asymmetry nobody can see) and at
// least a microsecond (clock reading and scheduling noise).
double noise_floor(std::int64_t shortest_rtt) {
  return std::max(static_cast<double>(shortest_rtt) / 8, 1000.0);
}

// a - b, exact where it fits in 64 bits (as between the instants of one
// clock, or offsets that agree), never undefined where it does not: the
// other host's instants come from the network.
double difference(std::int64_t a, std::int64_t b) {
  std::int64_t d;
  if (__builtin_sub_overflow(a, b, &d)) return static_cast<double>(a) - static_cast<double>(b);
  return static_cast<double>(d);
}

// An exchange's values beyond this (in magnitude, ~73 years in ns) are not
// from clocks that can be compared; refusing them keeps every sum in range.
constexpr std::int64_t kLimit = std::int64_t{1} << 61;

std::int64_t saturate(double v) {
  if (v >= 0x1p63) return std::numeric_limits<std::int64_t>::max();
  if (!(v > -0x1p63)) return std::numeric_limits<std::int64_t>::min();
  return std::llround(v);
}

} // namespace

ClockEstimator::ClockEstimator(const Settings& settings)
    : settings_(settings), needed_(settings.min_samples) {
  if (settings_.window < 1 || settings_.min_samples < 1 ||
      settings_.min_samples > settings_.window || settings_.step_run < 1 ||
      settings_.step_run > settings_.window || !(settings_.best > 0 && settings_.best <= 1))
    throw Error("ClockEstimator: inconsistent settings");
  kept_.reserve(settings_.window);
  run_.reserve(settings_.step_run);
  order_.reserve(settings_.window);
  points_.reserve(settings_.envelope_window);
  hull_.reserve(settings_.envelope_window);
  hull_back_.reserve(settings_.envelope_window);
  slopes_.reserve(settings_.envelope_window);
  slopes_back_.reserve(settings_.envelope_window);
  excess_.resize(kRecent);
  ways_.reserve(settings_.envelope_window);
}

void ClockEstimator::reset() {
  kept_.clear();
  next_ = newest_ = 0;
  ways_.clear();
  ways_next_ = high_run_ = 0;
  hold_rate_ = false;
  run_.clear();
  restarts_ = 0;
  settled_count_ = 0;
  fitted_ = rate_known_ = dir_rate_known_ = false;
  dir_rate_ = 0;
  needed_ = settings_.min_samples;
  ref_ns_ = base_offset_ns_ = 0;
  offset_at_ref_ = rate_ = rate_sigma_ = 0;
  uncertainty_ns_ = 0;
}

bool ClockEstimator::add(const Exchange& e) {
  if (e.t4 < e.t1 || e.t3 < e.t2) return false;
  std::int64_t ours, theirs, out, back;
  if (__builtin_sub_overflow(e.t4, e.t1, &ours) || __builtin_sub_overflow(e.t3, e.t2, &theirs) ||
      __builtin_sub_overflow(e.t2, e.t1, &out) || __builtin_sub_overflow(e.t3, e.t4, &back))
    return false;
  if (ours > kLimit || out > kLimit || out < -kLimit || back > kLimit || back < -kLimit)
    return false;
  Sample s;
  s.rtt_ns = ours - theirs;
  if (s.rtt_ns < 0) return false;
  s.local_ns = e.t1 + ours / 2;
  s.twice_offset = out + back;

  // Two offsets are consistent if the true one can lie within both
  // exchanges' round trips, allowing for the rates to differ in between.
  auto agree = [](const Sample& a, const Sample& b) {
    const double gap = std::abs(difference(a.local_ns, b.local_ns));
    const double apart = std::abs(difference(a.twice_offset, b.twice_offset)) / 2;
    return apart <= static_cast<double>(a.rtt_ns + b.rtt_ns) / 2 + kStepMargin + kRateBound * gap;
  };

  if (valid() && !consistent(s)) {
    // Evidence of a step in the other clock, if more of it follows: a run
    // of exchanges that agree with each other and not with the estimate.
    if (!run_.empty() && !agree(run_.front(), s)) run_.clear();
    run_.push_back(s);
    if (run_.size() >= settings_.step_run) restart_from_run();
    return true;
  }
  // An exchange that contradicts the run ends it; one that agrees with
  // both (a long round trip) says nothing either way.
  if (!run_.empty() && !agree(run_.front(), s)) run_.clear();
  keep(s);
  if (settled_count_ < settings_.settle) ++settled_count_;
  refit();
  return true;
}

void ClockEstimator::keep(const Sample& s) {
  if (settings_.envelope_window > 0) {
    if (ways_.size() < settings_.envelope_window) {
      ways_.push_back(s);
    } else {
      ways_[ways_next_] = s;
      ways_next_ = (ways_next_ + 1) % settings_.envelope_window;
    }
  }
  if (kept_.size() < settings_.window) {
    kept_.push_back(s);
    newest_ = kept_.size() - 1;
  } else {
    kept_[next_] = s;
    newest_ = next_;
    next_ = (next_ + 1) % settings_.window;
  }
}

void ClockEstimator::restart_from_run() {
  kept_.clear();
  next_ = newest_ = 0;
  ways_.clear();
  ways_next_ = high_run_ = 0;
  hold_rate_ = false;
  for (const Sample& s : run_)
    keep(s);
  settled_count_ = run_.size();
  run_.clear();
  ++restarts_;
  rate_known_ = dir_rate_known_ = false;
  // The run that showed the step is evidence enough to go on with.
  needed_ = std::min(settings_.min_samples, settings_.step_run);
  refit();
}

void ClockEstimator::refit() {
  const std::size_t n = kept_.size();
  if (n == 0) {
    fitted_ = false;
    return;
  }
  // The best share of a full window by round trip (or all of them while
  // there are no more than that): with few exchanges, the weights do the
  // choosing, and the slope comes from all that there are.
  const auto share =
      static_cast<std::size_t>(std::ceil(settings_.best * static_cast<double>(settings_.window)));
  const std::size_t k = std::min(n, std::max({share, settings_.min_samples, std::size_t{1}}));
  order_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    order_[i] = i;
  std::partial_sort(
      order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(k), order_.end(),
      [&](std::size_t a, std::size_t b) { return kept_[a].rtt_ns < kept_[b].rtt_ns; });
  const std::int64_t shortest = kept_[order_[0]].rtt_ns;
  const double floor = noise_floor(shortest);
  // Everything relative to the newest exchange, so that the doubles hold
  // small numbers.
  const Sample& newest = kept_[newest_];
  ref_ns_ = newest.local_ns;
  base_offset_ns_ = newest.twice_offset / 2;
  auto x_of = [&](const Sample& s) { return difference(s.local_ns, ref_ns_); };
  auto y_of = [&](const Sample& s) { return difference(s.twice_offset, 2 * base_offset_ns_) / 2; };
  auto w_of = [&](const Sample& s) {
    const double sigma = static_cast<double>(s.rtt_ns - shortest) / 2 + floor;
    return 1 / (sigma * sigma);
  };

  double sw = 0, sx = 0, sy = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const Sample& s = kept_[order_[j]];
    const double w = w_of(s);
    sw += w;
    sx += w * x_of(s);
    sy += w * y_of(s);
  }
  const double mx = sx / sw, my = sy / sw;
  double sxx = 0, sxy = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const Sample& s = kept_[order_[j]];
    const double w = w_of(s), dx = x_of(s) - mx;
    sxx += w * dx * dx;
    sxy += w * dx * (y_of(s) - my);
  }
  // The rate is measured only if the exchanges that weigh in the fit
  // spread over a good part of the window.  When they are bunched (the last
  // few of an old network delay, or the first few of a new one, among many
  // of the other), the slope would come from the others, and a line joining
  // two network delays makes a slope of their difference: then the rate
  // measured before is kept.
  double first = 0, last = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = x_of(kept_[i]);
    first = i == 0 ? x : std::min(first, x);
    last = i == 0 ? x : std::max(last, x);
  }
  double heavy = 0, hx = 0, hxx = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const Sample& s = kept_[order_[j]];
    if (static_cast<double>(s.rtt_ns - shortest) / 2 > (kHeavy - 1) * floor) continue;
    const double x = x_of(s);
    heavy += 1;
    hx += x;
    hxx += x * x;
  }
  const double spread = std::sqrt(std::max(0.0, hxx / heavy - (hx / heavy) * (hx / heavy)));
  const bool spread_enough = spread * kSpreadShare >= last - first;
  if (!rate_known_ || spread_enough) {
    // Ridge regression on the slope alone: the prior adds 1/kRatePrior^2 to
    // its precision, so that a short span gives a slope near zero rather
    // than one made of jitter, and a single exchange a slope of zero.
    const double precision = sxx + 1 / (kRatePrior * kRatePrior);
    rate_ = sxy / precision;
    rate_sigma_ = 1 / std::sqrt(precision);
    rate_known_ = spread_enough && n >= settings_.min_samples;
  }
  offset_at_ref_ = my - rate_ * mx;

  double sr = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const Sample& s = kept_[order_[j]];
    const double r = y_of(s) - (offset_at_ref_ + rate_ * x_of(s));
    sr += w_of(s) * r * r;
  }
  const double residual = std::sqrt(sr / sw);
  uncertainty_ns_ = saturate(static_cast<double>(shortest) / 2 + residual);
  fitted_ = true;
  refit_directions();
}

namespace {

// The slope of the line under all the points (x ascending) that passes
// closest to them on average: the lower convex hull's edge above the mean
// x.  That line solves the linear programme "below every point, least sum
// of distances above it", the classic estimate of a clock's rate from
// one-way transit times.  hull is scratch.
template <typename Points, typename Y>
void lower_hull(const Points& p, Y y, std::vector<std::size_t>& hull) {
  hull.clear();
  for (std::size_t i = 0; i < p.size(); ++i) {
    // Drop the last point while it lies on or above the segment from the
    // one before it to this one.
    while (hull.size() >= 2) {
      const std::size_t a = hull[hull.size() - 2], b = hull.back();
      const double cross =
          (p[b].x - p[a].x) * (y(p[i]) - y(p[a])) - (y(p[b]) - y(p[a])) * (p[i].x - p[a].x);
      if (cross > 0) break;
      hull.pop_back();
    }
    hull.push_back(i);
  }
}

} // namespace

bool ClockEstimator::refit_directions() {
  const std::size_t n = ways_.size();
  if (n < kDirMin) return false;
  points_.clear();
  const std::size_t first = n < settings_.envelope_window ? 0 : ways_next_;
  bool ascending = true;
  for (std::size_t j = 0; j < n; ++j) {
    const Sample& s = ways_[(first + j) % n];
    // (t2 - t1) = offset + delay out; (t4 - t3) = delay back - offset;
    // their sum is the round trip.  Less the base offset, both are small.
    const double out = difference(s.twice_offset + s.rtt_ns, 2 * base_offset_ns_) / 2;
    const double x = difference(s.local_ns, ref_ns_);
    ascending = ascending && (points_.empty() || x >= points_.back().x);
    points_.push_back({x, out, static_cast<double>(s.rtt_ns) - out});
  }
  if (!ascending)
    std::sort(points_.begin(), points_.end(),
              [](const Point& a, const Point& b) { return a.x < b.x; });
  const double span = points_.back().x - points_.front().x;

  // The rate: the one that makes the two ways' lower envelopes, detrended
  // by it, leave the least room between them (the largest sum of the two
  // minima), which is where the exchanges that touch the envelopes lie at
  // the same instant.  That sum is concave in the rate, its slope the
  // instant of the back way's touching exchange less the out way's: a
  // bisection over the lower hulls' vertices finds where that changes sign.
  lower_hull(
      points_, [](const Point& p) { return p.out; }, hull_);
  lower_hull(
      points_, [](const Point& p) { return p.back; }, hull_back_);
  // Each hull's edge slopes ascend; the vertex that minimises y - r x is
  // where they pass r.
  auto edges = [&](const std::vector<std::size_t>& hull, bool out, std::vector<double>& slopes) {
    slopes.clear();
    for (std::size_t j = 1; j < hull.size(); ++j) {
      const Point& a = points_[hull[j - 1]];
      const Point& b = points_[hull[j]];
      const double rise = (out ? b.out : b.back) - (out ? a.out : a.back);
      slopes.push_back(b.x > a.x ? rise / (b.x - a.x) : std::numeric_limits<double>::infinity());
    }
  };
  edges(hull_, true, slopes_);
  edges(hull_back_, false, slopes_back_);
  auto touching = [&](const std::vector<std::size_t>& hull, const std::vector<double>& slopes,
                      double r) {
    const auto k = std::lower_bound(slopes.begin(), slopes.end(), r) - slopes.begin();
    return points_[hull[static_cast<std::size_t>(k)]].x;
  };
  // A route change leaves the rate as it was: after one, the rate measured
  // before stands until the exchanges since are twice kRecent.
  if (n >= 2 * kRecent) hold_rate_ = false;
  if (span > 0 && !hold_rate_) {
    double lo = rate_ - kRateBound, hi = rate_ + kRateBound;
    for (int i = 0; i < 60; ++i) {
      const double mid = (lo + hi) / 2;
      if (touching(hull_back_, slopes_back_, -mid) > touching(hull_, slopes_, mid))
        lo = mid;
      else
        hi = mid;
    }
    dir_rate_ = (lo + hi) / 2;
    dir_rate_known_ = true;
  }
  const double r = dir_rate_known_ ? dir_rate_ : rate_;

  double min_out = std::numeric_limits<double>::infinity(), min_back = min_out;
  for (const Point& p : points_) {
    min_out = std::min(min_out, p.out - r * p.x);
    min_back = std::min(min_back, p.back + r * p.x);
  }
  // The two minima bound the offset from either side, and so their sum
  // (the envelopes' round trip) is never negative for a clock that keeps
  // to a rate; if it is, the exchanges contradict each other (a step in
  // the other clock not yet confirmed, or nonsense), and the round-trip
  // fit stands.
  const bool used = min_out + min_back >= 0;
  if (used) {
    rate_ = r;
    offset_at_ref_ = (min_out - min_back) / 2;
    uncertainty_ns_ = saturate((min_out + min_back) / 2);
  }

  // A step up in one way's delay (a route change) leaves that way's
  // minimum on the old exchanges until they age out; a step down moves it
  // at once, but a rate fitted across the step is wrong.  When the recent
  // exchanges' minimum of either way stays well away from the older ones'
  // (further than the jitter of a minimum of that many allows) for as many
  // exchanges again, the older ones are forgotten.
  if (n >= 2 * kRecent) {
    bool high = false;
    for (int way = 0; way < 2; ++way) {
      auto v = [&](const Point& p) { return way == 0 ? p.out - r * p.x : p.back + r * p.x; };
      double older = std::numeric_limits<double>::infinity(), recent = older;
      for (std::size_t j = 0; j < n; ++j)
        (j + kRecent < n ? older : recent) =
            std::min(j + kRecent < n ? older : recent, v(points_[j]));
      // The recent exchanges' median excess over their minimum measures
      // the jitter; a minimum of kRecent draws is rarely more than a few
      // kRecent-ths of it above the floor.
      for (std::size_t j = 0; j < kRecent; ++j)
        excess_[j] = v(points_[n - kRecent + j]) - recent;
      std::nth_element(excess_.begin(), excess_.begin() + kRecent / 2, excess_.end());
      const double bound =
          std::max(kStepFloor, kStepJitters * excess_[kRecent / 2] / static_cast<double>(kRecent));
      high = high || std::abs(recent - older) > bound;
    }
    high_run_ = high ? high_run_ + 1 : 0;
    if (high_run_ >= kRecent) {
      // Keep the last kRecent, in time order from the start of the ring.
      const std::size_t first_kept = (first + n - kRecent) % n;
      std::rotate(ways_.begin(), ways_.begin() + static_cast<std::ptrdiff_t>(first_kept),
                  ways_.end());
      ways_.resize(kRecent);
      ways_next_ = 0;
      high_run_ = 0;
      hold_rate_ = true;
      return refit_directions();
    }
  }
  return used;
}

double ClockEstimator::fitted_at(std::int64_t local_ns) const {
  return offset_at_ref_ + rate_ * difference(local_ns, ref_ns_);
}

bool ClockEstimator::consistent(const Sample& s) const {
  const double measured = difference(s.twice_offset, 2 * base_offset_ns_) / 2;
  const double gap = std::abs(difference(s.local_ns, ref_ns_));
  const double tolerance =
      kStepMargin + static_cast<double>(uncertainty_ns_) + (3 * rate_sigma_ + kRateSlack) * gap;
  return std::abs(measured - fitted_at(s.local_ns)) <=
         static_cast<double>(s.rtt_ns) / 2 + tolerance;
}

bool ClockEstimator::valid() const {
  return fitted_ && kept_.size() >= needed_;
}

bool ClockEstimator::settling() const {
  return !valid() || settled_count_ < settings_.settle || !run_.empty();
}

std::int64_t ClockEstimator::to_remote(std::int64_t local_ns) const {
  if (!fitted_) return local_ns;
  const double fitted = fitted_at(local_ns);
  std::int64_t r;
  if (std::abs(fitted) >= 0x1p62 || __builtin_add_overflow(local_ns, base_offset_ns_, &r) ||
      __builtin_add_overflow(r, std::llround(fitted), &r))
    return saturate(static_cast<double>(local_ns) + offset_ns(local_ns));
  return r;
}

std::int64_t ClockEstimator::to_local(std::int64_t remote_ns) const {
  if (!fitted_) return remote_ns;
  // remote = local + base + c + rate * (local - ref), solved for local.
  std::int64_t from_ref;
  const double d = (__builtin_sub_overflow(remote_ns, ref_ns_, &from_ref)
                        ? difference(remote_ns, ref_ns_) - static_cast<double>(base_offset_ns_)
                        : difference(from_ref, base_offset_ns_)) -
                   offset_at_ref_;
  const double step = d / (1 + rate_);
  std::int64_t local;
  if (std::abs(step) >= 0x1p62 || __builtin_add_overflow(ref_ns_, std::llround(step), &local))
    return saturate(static_cast<double>(ref_ns_) + step);
  return local;
}

double ClockEstimator::offset_ns(std::int64_t local_ns) const {
  if (!fitted_) return 0;
  return static_cast<double>(base_offset_ns_) + fitted_at(local_ns);
}

double ClockEstimator::drift_ppm() const {
  return fitted_ ? rate_ * 1e6 : 0;
}

std::int64_t ClockEstimator::uncertainty_ns() const {
  return fitted_ ? uncertainty_ns_ : std::numeric_limits<std::int64_t>::max();
}

std::size_t ClockEstimator::samples() const {
  return kept_.size();
}

} // namespace disorder
