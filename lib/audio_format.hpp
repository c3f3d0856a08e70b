// A PCM sample format: bits per sample, byte order, rate and channels.
// Used by the raw stream between decoders and the speaker, by the speaker's
// backends and conversions, and by RTP.
#pragma once

#include <bit>
#include <cstdint>
#include <string>

namespace disorder {

struct AudioFormat {
  std::uint32_t rate = 44100; // frames per second
  std::uint8_t channels = 2;  // interleaved
  std::uint8_t bits = 16;     // 8, 16, 24 (packed 3 bytes) or 32; signed integer
  std::endian byte_order = std::endian::native;

  bool operator==(const AudioFormat&) const = default;
  std::size_t bytes_per_sample() const { return bits / 8u; }
  std::size_t bytes_per_frame() const { return bytes_per_sample() * channels; }
  // "16b/44100/2" as in disorder_config(5) sample_format ('b' or 'l').
  std::string to_string() const;
  // True when the fields are in range (1..8 channels, 8/16/24/32 bits,
  // 1 Hz..768 kHz).
  bool valid() const;
};

} // namespace disorder
