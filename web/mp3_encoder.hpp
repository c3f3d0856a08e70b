// The MP3 stream: the jukebox's 44.1 kHz audio encoded by LAME at a
// constant bitrate, cut at frame boundaries so that a listener may be sent
// or skipped only whole frames.  The track's names travel beside it, as
// ICY metadata (audio_stream.hpp) and Icecast's metadata updates.
#pragma once

#include "web/stream_encoder.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct lame_global_struct;

namespace disorder::web {

// The length of the MPEG audio frame whose header starts `bytes`, or
// nullopt if it does not start with a frame header (MPEG 1, 2 or 2.5,
// layer III).
std::optional<size_t> mp3_frame_length(std::string_view bytes);

class Mp3Encoder : public StreamEncoder {
public:
  // Throws Error if LAME cannot be set up.
  explicit Mp3Encoder(int kbps = 128);
  ~Mp3Encoder() override;
  Mp3Encoder(const Mp3Encoder&) = delete;
  Mp3Encoder& operator=(const Mp3Encoder&) = delete;

  void encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) override;
  void set_title(const TrackTitle&, std::vector<StreamUnit>&) override {}
  std::vector<StreamUnit> headers() const override { return {}; }
  const char* content_type() const override { return "audio/mpeg"; }

private:
  lame_global_struct* lame_;
  std::vector<unsigned char> buffer_;
  // Encoded bytes not yet a whole frame.
  std::string partial_;
};

} // namespace disorder::web
