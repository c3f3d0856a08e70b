// Track name parts (disorder_config(5) namepart and "TRACK NAME PARTS",
// disorder_preferences(5) trackname_): the artist, album, title and ext of
// a track for a context ("display", "sort"), and the built-in part path.
#pragma once

#include "config.hpp"
#include "regexp.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// Everything a part is computed from.
struct TrackFacts {
  std::string name; // the track name (a full path)
  std::string root; // the collection root it lies under; "" when unknown
  // Its track preferences; only trackname_* ones matter here.
  std::map<std::string, std::string, std::less<>> prefs;
  // Tags read from its file (lower-case names).
  std::map<std::string, std::string, std::less<>> tags;
};

class NameParts {
public:
  // Compiles every rule's regexp once.  Throws ConfigError naming the rule
  // whose regexp PCRE2 refuses.
  explicit NameParts(const std::vector<NamePart>& rules);

  // A part from the namepart rules alone: the substitution of the first
  // rule for part whose context glob matches context and whose regexp
  // matches relative (the name with its root removed); "" when none does.
  // Loop thread only (it remembers which rules it has warned about).
  std::string from_rules(std::string_view relative, std::string_view context,
                         std::string_view part) const;

  // A part as clients see it.  path is the whole name.  Any other part is,
  // in order of precedence: the preference trackname_CONTEXT_PART, the
  // preference trackname_PART, the file tag PART (artist, album and title
  // only; an empty tag does not count), the namepart rules, and for ext
  // the name's own extension.  A rule whose regexp reaches a matching
  // limit (Regexp::kMatchLimit) on a name counts as not matching it; the
  // first time, a warning is logged.
  std::string part(const TrackFacts& track, std::string_view context, std::string_view part) const;

private:
  struct Rule {
    std::string part;
    std::string context; // glob
    std::string substitution;
    Regexp regexp;
    mutable bool limit_logged = false; // warned that the regexp reached a limit
  };
  std::vector<Rule> rules_;
};

// name with root removed (it keeps its leading '/'); all of name when root
// is empty or not a directory above it.
std::string_view relative_name(std::string_view name, std::string_view root);

// The extension of the last component of name, with its dot ("/a/b.flac"
// gives ".flac"); "" when it has none.
std::string_view extension(std::string_view name);

} // namespace disorder
