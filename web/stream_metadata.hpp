// The playing track's names as disorder-web's audio stream carries them:
// "Artist - Title" for ICY and Icecast, and the ICY metadata block.
#pragma once

#include <string>

namespace disorder::web {

struct TrackTitle {
  std::string artist, title;
  bool operator==(const TrackTitle&) const = default;
  // "Artist - Title", or whichever of them is known.
  std::string line() const;
};

// The ICY metadata block for `title`: a length byte (in units of 16 bytes),
// then StreamTitle='...'; padded with NULs.  A title too long for the
// block's 4080 bytes is cut at a character boundary.
std::string icy_metadata(const std::string& title);

} // namespace disorder::web
