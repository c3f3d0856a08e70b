// What disorder-web's audio stream encoders have in common: they take the
// jukebox's 44.1 kHz stereo 16-bit audio and the playing track's names, and
// give back the encoded stream in units that a listener may be sent or
// skipped whole (Ogg pages, groups of MP3 frames).  Loop thread only.
#pragma once

#include "web/stream_metadata.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace disorder::web {

struct StreamUnit {
  std::shared_ptr<const std::string> bytes;
  // Part of a stream's headers (an Ogg chain's OpusHead and OpusTags):
  // never skipped, since what follows cannot be decoded without it.
  bool header = false;
};

class StreamEncoder {
public:
  virtual ~StreamEncoder() = default;
  // frames: interleaved stereo samples at 44100 Hz.  Appends what is
  // ready to out.
  virtual void encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) = 0;
  // A new track: the metadata changes (for Ogg, a new chained stream
  // starts, whose headers are appended to out).
  virtual void set_title(const TrackTitle& title, std::vector<StreamUnit>& out) = 0;
  // What a listener joining now must get before anything else.
  virtual std::vector<StreamUnit> headers() const = 0;
  virtual const char* content_type() const = 0;
};

// The stream's sample rate and channels, as disorderd's RTP stream has them.
inline constexpr int kStreamRate = 44100;
inline constexpr int kStreamChannels = 2;

} // namespace disorder::web
