// The collection as the protocol commands see it: tracks by name or alias,
// their name parts, directory listings, new tracks, search, tags and
// statistics, read from the tables disorder-rescan fills (tracks, file_tags,
// dirs, search) and from the track preferences.  TrackDb only reads;
// TrackPrefs writes the preferences and tells it when names may have
// changed.  Lives on the loop thread; every method may throw DatabaseError.
#pragma once

#include "config.hpp"
#include "names/name_parts.hpp"
#include "names/regexp.hpp"
#include "search_words.hpp"
#include "sqlite.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

struct TrackRow {
  std::int64_t id = 0;
  std::string name;
  std::string root;
  std::optional<std::int64_t> length; // seconds; unset when unknown
};

struct CollectionStats {
  std::int64_t tracks = 0;
  std::int64_t dirs = 0;
  std::int64_t unknown_length = 0;
  std::int64_t with_prefs = 0;             // tracks (present or not) with any preference
  std::int64_t aliased = 0;                // tracks renamed by trackname_ preferences
  std::int64_t database_bytes = 0;         // the database file and its write-ahead log
  std::optional<std::int64_t> last_rescan; // when the last rescan completed
};

class TrackDb {
public:
  // Takes from config what cannot change while the server runs: namepart
  // (compiled here; throws ConfigError for a regexp PCRE2 refuses), alias
  // and stopword.
  TrackDb(Database& db, const Config& config);
  TrackDb(const TrackDb&) = delete;
  TrackDb& operator=(const TrackDb&) = delete;

  // The track called name (not an alias).
  std::optional<TrackRow> find(std::string_view name);
  // The real name of a track named name or aliased as name; nullopt for
  // neither.  A real track wins over an alias that happens to spell it.
  std::optional<std::string> resolve(std::string_view name);
  // What name's parts are computed from.  name need not be a track: its
  // root is then the longest of collections' roots above it, and it has
  // only the preferences stored under its name.
  TrackFacts facts(std::string_view name, const std::vector<Collection>& collections);
  const NameParts& name_parts() const { return parts_; }
  const std::string& alias_pattern() const { return alias_pattern_; }
  // How text is split into search words (config.stopword dropped).
  const SearchWords& search_words() const { return words_; }

  // Listings leave out any name with a line feed, which no reply body can
  // carry: disorder-rescan no longer records such names, but a database
  // from an older version may hold some, and one must not make the whole
  // listing fail.

  // The tracks (files) and the subdirectories directly in dir, sorted, only
  // those whose basename filter matches when filter is given.  Aliases are
  // virtual file names (disorder_config(5) alias): files lists the aliases
  // in dir as well, and dirs the directories that hold only aliases.
  // Throws RegexpLimitError from the filter.
  std::vector<std::string> files(std::string_view dir, BoundedMatcher* filter);
  std::vector<std::string> dirs(std::string_view dir, BoundedMatcher* filter);
  // At most max tracks first seen at or after since (seconds), newest first.
  std::vector<std::string> newest(std::int64_t max, std::int64_t since);
  // disorder_protocol(5) search: TERMS split into fields; tag:NAME terms
  // restrict to tracks with that tag, other terms are split into words
  // (stopwords dropped) that must all appear in the track's words or its
  // trackname_ preferences.  Sorted track names; empty when no term is
  // usable.  Throws SyntaxError for badly quoted terms.
  std::vector<std::string> search(std::string_view terms);
  // Every tag of a present track, once per tag (tag_key), sorted by key.
  std::vector<std::string> tags();
  CollectionStats stats();

  // A trackname_ preference changed: aliases are recomputed when next
  // needed.
  void names_changed() { aliases_.reset(); }

private:
  using NameSet = std::vector<std::string>; // sorted, unique
  std::vector<std::string> listing(const std::string& sql, std::string_view dir,
                                   BoundedMatcher* filter);
  NameSet tracks_matching_words(const std::vector<std::string>& words);
  NameSet tracks_tagged(const std::string& key, bool present_only);
  struct AliasIndex {
    // alias -> track, for the tracks that have trackname_ preferences
    std::map<std::string, std::string, std::less<>> tracks;
    // The directories aliases are in, and those above them up to (not
    // including) the collection root of their track.
    std::set<std::string, std::less<>> dirs;
  };
  const AliasIndex& aliases();
  std::string collection_version();

  Database& db_;
  NameParts parts_;
  std::string alias_pattern_;
  SearchWords words_;
  // The aliases, and the rescan_state they were computed against (tags and
  // roots change with a rescan).
  std::optional<AliasIndex> aliases_;
  std::string aliases_version_;
};

// name without trailing slashes ("/" stays "/").
std::string_view strip_trailing_slashes(std::string_view name);

} // namespace disorder
