// Computing track name parts from preferences, file tags and namepart rules.
#include "name_parts.hpp"

#include "log.hpp"
#include "unicode.hpp"

#include <fnmatch.h>

namespace disorder {

NameParts::NameParts(const std::vector<NamePart>& rules) {
  rules_.reserve(rules.size());
  for (const auto& r : rules) {
    try {
      rules_.push_back(Rule{r.part, r.context, r.substitution,
                            Regexp(r.regexp, r.flags.find('i') != std::string::npos)});
    } catch (const RegexpError& e) {
      throw ConfigError("namepart " + r.part + ": " + e.what());
    }
  }
}

std::string NameParts::from_rules(std::string_view relative, std::string_view context,
                                  std::string_view part) const {
  const std::string context_z(context); // fnmatch wants a terminated string
  for (const auto& r : rules_) {
    if (r.part != part || ::fnmatch(r.context.c_str(), context_z.c_str(), 0) != 0) continue;
    try {
      if (auto value = r.regexp.expand_first(relative, r.substitution)) return *value;
    } catch (const RegexpLimitError& e) {
      // The rule is the administrator's and the same for every track: say
      // so once rather than for each track it is tried on.
      if (!r.limit_logged) {
        r.limit_logged = true;
        log_warning("namepart " + printable(r.part) + ": " + printable(e.what()) + " on " +
                    printable(relative) + "; counted as no match (logged only once)");
      }
    }
  }
  return "";
}

std::string NameParts::part(const TrackFacts& track, std::string_view context,
                            std::string_view part) const {
  if (part == "path") return track.name;
  std::string key = "trackname_";
  key.append(context).append("_").append(part);
  if (auto it = track.prefs.find(key); it != track.prefs.end()) return it->second;
  key = "trackname_";
  key.append(part);
  if (auto it = track.prefs.find(key); it != track.prefs.end()) return it->second;
  if (part == "artist" || part == "album" || part == "title") {
    if (auto it = track.tags.find(part); it != track.tags.end() && !it->second.empty())
      return it->second;
  }
  std::string value = from_rules(relative_name(track.name, track.root), context, part);
  if (value.empty() && part == "ext") value = extension(track.name);
  return value;
}

std::string_view relative_name(std::string_view name, std::string_view root) {
  if (root.empty() || root == "/") return name;
  if (name.size() > root.size() && name.starts_with(root) && name[root.size()] == '/')
    return name.substr(root.size());
  return name;
}

std::string_view extension(std::string_view name) {
  size_t slash = name.rfind('/');
  size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot <= base) return {};
  return name.substr(dot);
}

} // namespace disorder
