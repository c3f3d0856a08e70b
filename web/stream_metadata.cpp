// The stream's track names (stream_metadata.hpp).
#include "web/stream_metadata.hpp"

namespace disorder::web {

std::string TrackTitle::line() const {
  if (artist.empty()) return title;
  if (title.empty()) return artist;
  return artist + " - " + title;
}

std::string icy_metadata(const std::string& title) {
  constexpr size_t kMostText = 255 * 16;
  constexpr size_t kFraming = sizeof "StreamTitle='';" - 1;
  std::string t = title;
  if (t.size() > kMostText - kFraming) {
    size_t cut = kMostText - kFraming;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xc0) == 0x80)
      --cut;
    t.resize(cut);
  }
  std::string text = "StreamTitle='" + t + "';";
  const size_t blocks = (text.size() + 15) / 16;
  text.resize(blocks * 16, '\0');
  return std::string(1, static_cast<char>(blocks)) + text;
}

} // namespace disorder::web
