// What the database already knows about the tracks of one part of a
// collection, loaded in one query before that part is walked.  The walk then
// answers "new, changed or unchanged?" from memory, and whatever it did not
// see is what has gone.  An unchanged rescan is therefore a directory walk,
// a stat per file and a hash lookup, with no database write at all.
#pragma once

#include "sqlite.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace disorder {

struct KnownTrack {
  std::int64_t id = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  // The file's path bytes when they differ from the name (tracks.path), else
  // empty with has_path false.
  std::string path;
  bool has_path = false;
  bool seen = false; // set by the walk
};

class KnownTracks {
public:
  // The tracks of root whose names are at or below dir (dir is root or a
  // directory below it).
  static KnownTracks load(Database& db, std::string_view root, std::string_view dir);

  // nullptr when name is not known.
  KnownTrack* find(std::string_view name);
  KnownTrack& add(std::string_view name, const KnownTrack& track);
  std::size_t size() const { return tracks_.size(); }

  template <typename F> void for_each(F&& fn) {
    for (auto& [name, track] : tracks_)
      fn(std::string_view(name), track);
  }

private:
  // Transparent, so that lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, KnownTrack, Hash, std::equal_to<>> tracks_;
};

} // namespace disorder
