// Chooses tracks for random play (disorder_config(5) queue_pad, replay_min,
// new_bias, new_bias_age; disorder_preferences(5) weight, pick_at_random).
#pragma once

#include "config.hpp"
#include "sqlite.hpp"

#include <chrono>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace disorder {

class RandomPicker {
public:
  explicit RandomPicker(Database& db);
  // A track chosen with probability proportional to its weight: the
  // `weight` preference (default 90000, clamped to 0..2^31-1), or new_bias
  // for tracks added within new_bias_age.  Skipped: pick_at_random 0,
  // played within replay_min, and `exclude` (tracks already queued).
  std::optional<std::string> pick(const Config& config, const std::set<std::string>& exclude);

private:
  Database& db_;
  std::mt19937_64 rng_;
};

} // namespace disorder
