// Which files are tracks.  A file is a track when its track name matches the
// pattern of a `player` line (fnmatch(3), no flags, so '*' also matches '/'):
// only files something can play belong in the database.  Without any
// `player` line the built-in set applies: the extensions the decoder knows,
// .mp3 .ogg .oga .opus .flac .wav, in any letter case.
#pragma once

#include "config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// The name ends in one of the built-in extensions (any letter case).
bool has_built_in_extension(std::string_view name);
// The first `player` line whose pattern matches the track name, or null.
// Shared with disorderd, which plays with it what the rescan admitted.
const Player* player_for(const std::vector<Player>& players, const std::string& name);

class TrackFilter {
public:
  explicit TrackFilter(const std::vector<Player>& players);

  // A cheap first test on a bare file name, before it is converted: false
  // only when the file cannot be a track whatever its directory.  Lets the
  // walker skip cover art and playlists without converting their names.
  bool may_match(std::string_view file_name) const;
  // The real test, on a full track name.  A NUL-terminated string because
  // fnmatch wants one.
  bool matches(const std::string& name) const;

  bool built_in() const { return patterns_.empty(); }

private:
  std::vector<std::string> patterns_; // distinct player patterns, in order
};

} // namespace disorder
