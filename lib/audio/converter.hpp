// Sample format conversion for the speaker: any raw stream format (8, 16,
// 24 or 32 bits, either byte order, 1 to 8 channels, any rate) into the
// one format the backend plays.  Bits are shifted (widening is exact,
// narrowing truncates), channels are duplicated or mixed down, and the rate
// is changed with libsoxr, streaming.  Also the software volume that
// backends without a mixer use.
//
// Threads: a Converter belongs to one track and is used by the speaker's
// loop thread only.  configure() allocates; convert() and drain() do not
// (libsoxr may, inside, while it fills its own buffers).  apply_gain() is
// pure and is what the audio thread calls.
#pragma once

#include "audio_format.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

struct soxr; // libsoxr's resampler

namespace disorder {

class Converter {
public:
  // Sample codecs between a format's bytes and left-aligned int32.
  using Decode = void (*)(const char*, std::int32_t*, std::size_t);
  using Encode = void (*)(const std::int32_t*, char*, std::size_t);

  Converter() = default;
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;
  ~Converter();

  // Prepare to convert `in` into `out` (both valid()), discarding any state
  // from an earlier format: drain() first to keep what the resampler holds.
  // Throws Error if the resampler cannot be created.
  void configure(const AudioFormat& in, const AudioFormat& out);
  bool configured() const { return configured_; }
  const AudioFormat& input_format() const { return in_; }
  const AudioFormat& output_format() const { return out_; }
  bool resampling() const { return resampler_ != nullptr; }

  struct Result {
    std::size_t consumed = 0; // bytes of input used (whole input frames)
    std::size_t produced = 0; // bytes written to out (whole output frames)
  };
  // Converts as much of `in` as fits into `out`.  Input the caller must
  // offer again is exactly in.substr(consumed); a trailing partial frame is
  // never consumed.  Returns {0, 0} only when out has no room for a frame.
  Result convert(std::string_view in, std::span<char> out);
  // At the end of the input in this format: writes what the resampler still
  // holds and returns the bytes written.  Call until it returns 0; then
  // only configure() may follow.
  std::size_t drain(std::span<char> out);

private:
  void reset();
  // Runs the staged input through the resampler into out; frames written.
  std::size_t resample(char* out, std::size_t out_frames, bool flush);

  bool configured_ = false;
  AudioFormat in_, out_;
  unsigned mid_channels_ = 0; // channels while resampling: min(in, out)
  // Mixing matrix, out_.channels rows of in_.channels coefficients in
  // Q15 (32768 = 1.0); empty when the channels are the same.
  std::vector<std::int32_t> matrix_;
  Decode decode_ = nullptr;
  Encode encode_ = nullptr;
  // Work space, sized by configure(): decoded input, mixed samples,
  // resampler output (kBlock frames each, at the widest channel count).
  std::vector<std::int32_t> decoded_, mixed_, resampled_;
  soxr* resampler_ = nullptr;
  // Resampler input staged in mixed_ (pre-resample channel mix applied).
  std::size_t staged_pos_ = 0, staged_len_ = 0; // frames
  bool flushing_ = false;
};

// Software volume: 0..100 to a linear gain in Q16 (65536 = unity, exactly
// at 100; 0 mutes; in between 0.6 dB a step, so 50 is -30 dB).
std::uint32_t volume_to_gain(int percent);
// Scales whole frames in `format` in place: channel 0 by left, channel 1
// by right, any others by their mean (a mono format by the mean).  Unity
// leaves the samples untouched.  No allocation.
void apply_gain(std::span<char> frames, const AudioFormat& format, std::uint32_t left_q16,
                std::uint32_t right_q16);

} // namespace disorder
