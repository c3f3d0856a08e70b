// The pure part of WAV decoding: finding the format and the PCM in a
// RIFF/WAVE file, and making its samples what the raw stream carries.  No
// I/O of its own (it reads through a ByteSource), so the unit tests and the
// fuzz target drive it with bytes in memory.
#pragma once

#include "audio_format.hpp"
#include "byte_source.hpp"

#include <cstdint>
#include <span>

namespace disorder {

struct WavLayout {
  // The format of the samples as the raw stream carries them: signed,
  // little-endian, in containers of 8, 16, 24 (packed) or 32 bits.
  AudioFormat format;
  // 8-bit WAV samples are unsigned; convert_wav_samples() makes them signed.
  bool unsigned_samples = false;
  // Where the PCM starts, and how many bytes of whole frames of it the file
  // really holds.
  std::uint64_t data_offset = 0;
  std::uint64_t data_bytes = 0;
  // The data chunk declares more bytes than the file holds; what there is
  // can be played, but the file is damaged.
  bool truncated = false;
  std::uint64_t declared_bytes = 0;
};

// Walks the chunks of a RIFF/WAVE file.  Accepts PCM (format 1) and
// WAVE_FORMAT_EXTENSIBLE with the PCM subformat, 1 to 8 channels, samples
// of 1 to 32 bits in byte containers.  Throws DecodeError saying what is
// wrong or unsupported (compressed and floating-point data are refused).
WavLayout parse_wav(ByteSource& source);

// Converts, in place, whole frames read from the data chunk into the
// samples of layout.format.
void convert_wav_samples(const WavLayout& layout, std::span<char> pcm);

} // namespace disorder
