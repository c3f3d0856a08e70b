// Track preferences (disorder_preferences(5)): name/value pairs per track,
// keyed by the track's name so that they outlive its row in tracks (a file
// that vanishes and comes back, a rescan that re-adds it, a restart).  Every
// change keeps the indexes derived from preferences in step, in the same
// transaction: track_tags for the `tags` preference, pref_words/pref_search
// for trackname_ preferences, and the alias cache of TrackDb.  A change that
// cannot be saved (DatabaseError) leaves all of them as they were.  The
// tags preference is kept in DisOrder's normal form (names/tags.hpp): set
// stores it so, and get and all return an older value so too.  Lives on
// the loop thread; every method may throw DatabaseError.
#pragma once

#include "sqlite.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace disorder {

class TrackDb;

class TrackPrefs {
public:
  // Search words are split as tracks.search_words() splits them.
  TrackPrefs(Database& db, TrackDb& tracks);

  std::optional<std::string> get(std::string_view track, std::string_view name);
  // Every preference of track, sorted by name.
  std::vector<std::pair<std::string, std::string>> all(std::string_view track);
  // track is a real track name (callers resolve aliases first).  Throws
  // SyntaxError for a value the preference cannot take (see check_value).
  // Returns the value as stored (tags normalised), which is what get gives.
  std::string set(std::string_view track, std::string_view name, std::string_view value);
  // False when it was not set.
  bool unset(std::string_view track, std::string_view name);

  // Throws SyntaxError unless value is acceptable for name: the tags
  // preference holds printable text (commas separate its tags, so no tag
  // can hold one).
  static void check_value(std::string_view name, std::string_view value);
  // value as preference name is stored and shown (the tags normalised).
  static std::string stored_form(std::string_view name, std::string_view value);

  // Rebuilds track_tags and pref_words from the prefs table, for every
  // track, as disorder-dump(8) needs after writing prefs wholesale.  Starts
  // no transaction: run it inside the caller's.
  void reindex_all();

private:
  // Brings the index that depends on preference name of track in line with
  // the prefs table.
  void reindex(std::string_view track, std::string_view name);
  void reindex_tags(std::string_view track);
  void reindex_words(std::string_view track);
  // Tells TrackDb, once a change to preference name is over, that the names
  // of tracks may have changed.
  class Reindexed {
  public:
    Reindexed(TrackPrefs& prefs, std::string_view name) : prefs_(prefs), name_(name) {}
    ~Reindexed();

  private:
    TrackPrefs& prefs_;
    std::string_view name_;
  };

  Database& db_;
  TrackDb& tracks_;
};

} // namespace disorder
