// Weighted random choice over the track table.
#include "queue/random_picker.hpp"

#include "crypto.hpp"
#include "wall_clock.hpp"

#include <charconv>
#include <cstring>
#include <ctime>
#include <vector>

namespace disorder {

namespace {
constexpr std::int64_t kDefaultWeight = 90000;
constexpr std::int64_t kMaxWeight = 2147483647;

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::uint64_t seed() {
  std::string b = random_bytes(8);
  std::uint64_t s;
  std::memcpy(&s, b.data(), sizeof s);
  return s;
}
} // namespace

RandomPicker::RandomPicker(Database& db) : db_(db), rng_(seed()) {}

std::set<std::string> RandomPicker::tagged(const std::vector<std::string>& keys) {
  std::set<std::string> out;
  auto& st = db_.cached("SELECT track FROM track_tags WHERE key = ?");
  for (const auto& key : keys) {
    st.bind(1, key);
    while (st.step())
      out.insert(st.column_text(0));
    st.reset();
  }
  return out;
}

std::vector<std::string> RandomPicker::pick(const Config& config,
                                            const std::set<std::string>& exclude, std::size_t count,
                                            const TagFilter& tags) {
  // Tagged tracks are usually few: their names are looked up once, rather
  // than each track's tags in the pass below.
  const std::set<std::string> required = tagged(tags.required);
  const std::set<std::string> prohibited = tagged(tags.prohibited);
  const std::int64_t now = wall_seconds();
  const std::int64_t new_since = now - config.new_bias_age.count();
  const std::int64_t replay_since = now - config.replay_min.count();
  auto& st =
      db_.cached("SELECT t.name, t.added, "
                 "(SELECT value FROM prefs WHERE track = t.name AND name = 'weight'), "
                 "(SELECT value FROM prefs WHERE track = t.name AND name = 'pick_at_random'), "
                 "(SELECT value FROM prefs WHERE track = t.name AND name = 'played_time') "
                 "FROM tracks AS t");
  std::vector<std::pair<std::string, std::int64_t>> candidates;
  std::int64_t total = 0;
  while (st.step()) {
    std::string name = st.column_text(0);
    if (exclude.count(name)) continue;
    if (!tags.required.empty() && !required.count(name)) continue;
    if (prohibited.count(name)) continue;
    if (!st.column_is_null(3) && st.column_text(3) == "0") continue;
    if (config.replay_min.count() > 0 && !st.column_is_null(4)) {
      auto played = parse_int(st.column_text(4));
      if (played && *played > replay_since) continue;
    }
    std::int64_t weight = kDefaultWeight;
    if (st.column_int(1) > new_since) {
      weight = config.new_bias;
    } else if (!st.column_is_null(2)) {
      auto w = parse_int(st.column_text(2));
      // disorder_preferences(5): invalid or negative weights are ignored.
      if (w && *w >= 0) weight = std::min(*w, kMaxWeight);
    }
    if (weight <= 0) continue;
    total += weight;
    candidates.emplace_back(std::move(name), weight);
  }
  std::vector<std::string> chosen;
  while (chosen.size() < count && total > 0) {
    std::uniform_int_distribution<std::int64_t> dist(0, total - 1);
    std::int64_t r = dist(rng_);
    for (auto& [name, weight] : candidates) {
      if (weight == 0) continue;
      if (r < weight) {
        chosen.push_back(std::move(name));
        total -= weight;
        weight = 0; // drawn: not again
        break;
      }
      r -= weight;
    }
  }
  return chosen;
}

} // namespace disorder
