// Chooses tracks for random play (disorder_config(5) queue_pad, replay_min,
// new_bias, new_bias_age; disorder_preferences(5) weight, pick_at_random,
// and the global preferences required-tags and prohibited-tags).
#pragma once

#include "config.hpp"
#include "sqlite.hpp"

#include <chrono>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace disorder {

// Which tags random picks must have: tag keys (names/tags.hpp tag_key),
// as the required-tags and prohibited-tags global preferences list them.
struct TagFilter {
  std::vector<std::string> required;   // empty: no requirement
  std::vector<std::string> prohibited; // empty: none
};

class RandomPicker {
public:
  explicit RandomPicker(Database& db);
  // A track chosen with probability proportional to its weight: the
  // `weight` preference (default 90000, clamped to 0..2^31-1), or new_bias
  // for tracks added within new_bias_age.  Skipped: pick_at_random 0,
  // played within replay_min, `exclude` (tracks already queued), tracks
  // without any of tags.required (when it lists any) and tracks with any
  // of tags.prohibited (disorder_preferences(5)).
  // Up to `count` different tracks, drawn one after another as above, from
  // one pass over the track table (a pass costs milliseconds per 10,000
  // tracks, on the server's loop thread).
  std::vector<std::string> pick(const Config& config, const std::set<std::string>& exclude,
                                std::size_t count, const TagFilter& tags = {});

private:
  // The tracks whose tags preference has any of keys.
  std::set<std::string> tagged(const std::vector<std::string>& keys);

  Database& db_;
  std::mt19937_64 rng_;
};

} // namespace disorder
