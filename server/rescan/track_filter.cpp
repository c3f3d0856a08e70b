// The player patterns, or the built-in extension set.
#include "track_filter.hpp"

#include <algorithm>
#include <array>
#include <fnmatch.h>

namespace disorder {

namespace {

constexpr std::array<std::string_view, 6> kBuiltInExtensions{"mp3",  "ogg",  "oga",
                                                             "opus", "flac", "wav"};

} // namespace

bool has_built_in_extension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view ext = name.substr(dot + 1);
  if (ext.size() > 4) return false;
  char lower[4];
  for (size_t i = 0; i < ext.size(); ++i) {
    char c = ext[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view folded(lower, ext.size());
  return std::find(kBuiltInExtensions.begin(), kBuiltInExtensions.end(), folded) !=
         kBuiltInExtensions.end();
}

const Player* player_for(const std::vector<Player>& players, const std::string& name) {
  for (const auto& p : players)
    if (fnmatch(p.pattern.c_str(), name.c_str(), 0) == 0) return &p;
  return nullptr;
}

TrackFilter::TrackFilter(const std::vector<Player>& players) {
  for (const auto& p : players)
    if (std::find(patterns_.begin(), patterns_.end(), p.pattern) == patterns_.end())
      patterns_.push_back(p.pattern);
}

bool TrackFilter::may_match(std::string_view file_name) const {
  return !built_in() || has_built_in_extension(file_name);
}

bool TrackFilter::matches(const std::string& name) const {
  if (built_in()) return has_built_in_extension(name);
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  });
}

} // namespace disorder
