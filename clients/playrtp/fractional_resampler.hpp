// The drift resampler: plays input at `ratio` input frames per output
// frame, for ratios within a fraction of a percent of 1, changed smoothly
// from one call to the next (DriftController steers it).
//
// Band-limited interpolation: each output frame is a windowed-sinc (Kaiser,
// 2 x kHalfWidth taps) weighting of the input around its fractional
// position, the coefficients taken from a table of kPhases phases with
// linear interpolation between neighbours.  The ratio never strays far from
// 1, so the full band is kept (no anti-alias filter is needed); what the
// window costs is a roll-off above about 20 kHz.  A frame whose position is
// whole is copied exactly, and at ratio 1 the position stays whole: asked
// for ratio 1 while between frames, the resampler keeps its last step until
// the position comes within one step of a whole frame, snaps to it, and
// from then on copies input to output unchanged (bypassing()).
//
// Samples are int32 (left-aligned, any width), interleaved.  While
// interpolating, output lags input by lookahead() frames (the window's
// reach), which the player counts as buffered; passing through, it takes
// no more input than it gives out.  The window is computed in single
// precision (its error is below -120 dB of full scale, far under 16-bit
// quantisation); a frame copied whole is exact.  No allocation after
// construction.
// Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace disorder::playrtp {

class FractionalResampler {
public:
  static constexpr std::size_t kHalfWidth = 32;
  static constexpr unsigned kPhaseBits = 8;
  static constexpr unsigned kPhases = 1u << kPhaseBits;

  // At most max_output_frames per render() call.
  FractionalResampler(unsigned channels, std::size_t max_output_frames);

  // Forget all input; the next output is the next frame pushed.
  void reset();

  // Frames to push() before render(out_frames, ratio) can run.
  std::size_t input_needed(std::size_t out_frames, double ratio) const;
  void push(const std::int32_t* frames, std::size_t count);
  // Writes out_frames frames to out; with out null, only moves on (as
  // rendering would), for simulations.
  void render(std::int32_t* out, std::size_t out_frames, double ratio);

  // Input frames pushed but not yet reached by the output position
  // (fractional).
  double lookahead() const;
  bool bypassing() const { return step_ == kUnit && frac_ == 0; }

private:
  static constexpr std::uint64_t kUnit = std::uint64_t{1} << 32;
  static std::uint64_t step_for(double ratio);
  void interpolate(std::int32_t* out) const;

  unsigned channels_;
  std::vector<std::int32_t> buffer_; // frames [0, end_)
  std::vector<float> floats_;        // the same as float, for the window
  std::size_t center_ = 0;           // frame of the next output's whole position
  std::size_t end_ = 0;
  std::uint32_t frac_ = 0;     // its fractional part, 0.32 fixed point
  std::uint64_t step_ = kUnit; // last step taken, 32.32 fixed point
};

} // namespace disorder::playrtp
