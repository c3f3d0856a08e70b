// Expanding alias patterns.
#include "aliases.hpp"

namespace disorder {

std::string expand_alias(std::string_view pattern, std::string_view root,
                         const std::function<std::string(std::string_view)>& part) {
  std::string out(root);
  for (size_t i = 0; i < pattern.size(); ++i) {
    size_t close;
    if (pattern[i] != '{' || (close = pattern.find('}', i)) == std::string_view::npos) {
      out += pattern[i];
      continue;
    }
    std::string_view name = pattern.substr(i + 1, close - i - 1);
    bool slash = name.starts_with('/');
    if (slash) name.remove_prefix(1);
    std::string value = part(name);
    if (slash && !value.empty()) out += '/';
    out += value;
    i = close;
  }
  return out;
}

bool has_trackname_prefs(const TrackFacts& track) {
  auto it = track.prefs.lower_bound(std::string_view("trackname_"));
  return it != track.prefs.end() && it->first.starts_with("trackname_");
}

std::string alias_of(const NameParts& parts, std::string_view pattern, const TrackFacts& track) {
  return expand_alias(pattern, track.root,
                      [&](std::string_view name) { return parts.part(track, "display", name); });
}

} // namespace disorder
