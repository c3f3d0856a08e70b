// Windowed-sinc fractional resampling with an exact pass-through.
#include "fractional_resampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace disorder::playrtp {

namespace {

constexpr std::size_t kTaps = 2 * FractionalResampler::kHalfWidth;
constexpr double kBeta = 8.0; // Kaiser window: about 80 dB side lobes

double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// Row p holds the taps for fractional position p / kPhases: tap t weights
// the input frame at offset t - (kHalfWidth - 1) from the whole position.
// kPhases + 1 rows, so that interpolation can use row p + 1.
const std::vector<float>& kernel() {
  static const std::vector<float> table = [] {
    constexpr auto K = static_cast<double>(FractionalResampler::kHalfWidth);
    std::vector<float> t((FractionalResampler::kPhases + 1) * kTaps, 0.0f);
    const double norm = bessel_i0(kBeta);
    for (unsigned p = 0; p <= FractionalResampler::kPhases; ++p) {
      float* row = t.data() + p * kTaps;
      const double f = static_cast<double>(p) / FractionalResampler::kPhases;
      if (p == 0 || p == FractionalResampler::kPhases) {
        row[p == 0 ? kTaps / 2 - 1 : kTaps / 2] = 1.0f; // whole positions: exact
        continue;
      }
      double coeff[kTaps], sum = 0;
      for (std::size_t k = 0; k < kTaps; ++k) {
        const double x = static_cast<double>(k) - (K - 1) - f;
        const double u = x / K;
        const double window =
            std::fabs(u) >= 1 ? 0 : bessel_i0(kBeta * std::sqrt(1 - u * u)) / norm;
        coeff[k] = std::sin(M_PI * x) / (M_PI * x) * window;
        sum += coeff[k];
      }
      for (std::size_t k = 0; k < kTaps; ++k)
        row[k] = static_cast<float>(coeff[k] / sum); // unity gain at DC
    }
    return t;
  }();
  return table;
}

// The same rows with each tap twice, to match interleaved stereo input.
const std::vector<float>& stereo_kernel() {
  static const std::vector<float> table = [] {
    const std::vector<float>& mono = kernel();
    std::vector<float> t(2 * mono.size());
    for (std::size_t i = 0; i < mono.size(); ++i)
      t[2 * i] = t[2 * i + 1] = mono[i];
    return t;
  }();
  return table;
}

// Four floats, with the compiler's portable vector extension: SSE on
// x86-64, NEON on ARM, plain code elsewhere.
using V4 = float __attribute__((vector_size(16)));

V4 load(const float* p) {
  V4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::int32_t to_sample(float sum) {
  return static_cast<std::int32_t>(std::clamp<double>(std::nearbyint(static_cast<double>(sum)),
                                                      std::numeric_limits<std::int32_t>::min(),
                                                      std::numeric_limits<std::int32_t>::max()));
}

} // namespace

FractionalResampler::FractionalResampler(unsigned channels, std::size_t max_output_frames)
    : channels_(std::max(channels, 1u)) {
  stereo_kernel(); // build the tables now, not in the audio path
  const std::size_t max_out = std::max<std::size_t>(max_output_frames, 1);
  buffer_.assign((2 * max_out + 4 * kHalfWidth + 16) * channels_, 0);
  floats_.assign(buffer_.size(), 0.0f);
  reset();
}

void FractionalResampler::reset() {
  // kHalfWidth - 1 frames of silence before the first input frame, which
  // the first outputs' windows reach back into.
  std::fill(buffer_.begin(), buffer_.end(), 0);
  std::fill(floats_.begin(), floats_.end(), 0.0f);
  center_ = end_ = kHalfWidth - 1;
  frac_ = 0;
  step_ = kUnit;
}

std::uint64_t FractionalResampler::step_for(double ratio) {
  if (ratio == 1.0) return kUnit;
  return static_cast<std::uint64_t>(std::llround(std::clamp(ratio, 0.5, 2.0) * 4294967296.0));
}

std::size_t FractionalResampler::input_needed(std::size_t out_frames, double ratio) const {
  if (out_frames == 0) return 0;
  std::uint64_t step = step_for(ratio);
  if (step == kUnit && frac_ != 0) step = step_; // still gliding back to a whole frame
  std::size_t need_end;
  if (step == kUnit && frac_ == 0) {
    // Passing through: no window, so nothing beyond the frames themselves
    // (a listener on the edge of running dry takes only what it plays).
    need_end = center_ + out_frames;
  } else {
    // The last output's whole position, its window's reach, one more for
    // a snap forward, and end_ is exclusive.
    const std::uint64_t last = frac_ + (out_frames - 1) * step;
    need_end = center_ + static_cast<std::size_t>(last >> 32) + kHalfWidth + 2;
  }
  return need_end > end_ ? need_end - end_ : 0;
}

void FractionalResampler::push(const std::int32_t* frames, std::size_t count) {
  // Keep only what the next window can reach back to.
  const std::size_t keep_from = center_ - (kHalfWidth - 1);
  if (keep_from > 0) {
    std::memmove(buffer_.data(), buffer_.data() + keep_from * channels_,
                 (end_ - keep_from) * channels_ * sizeof(std::int32_t));
    std::memmove(floats_.data(), floats_.data() + keep_from * channels_,
                 (end_ - keep_from) * channels_ * sizeof(float));
    center_ -= keep_from;
    end_ -= keep_from;
  }
  const std::size_t room = buffer_.size() / channels_ - end_;
  count = std::min(count, room); // only a caller ignoring input_needed() gets here
  std::memcpy(buffer_.data() + end_ * channels_, frames, count * channels_ * sizeof(std::int32_t));
  std::copy_n(frames, count * channels_, floats_.data() + end_ * channels_);
  end_ += count;
}

void FractionalResampler::interpolate(std::int32_t* out) const {
  const unsigned phase = frac_ >> (32 - kPhaseBits);
  const float sub = static_cast<float>(frac_ & ((1u << (32 - kPhaseBits)) - 1)) /
                    static_cast<float>(1u << (32 - kPhaseBits));
  const float* in = floats_.data() + (center_ - (kHalfWidth - 1)) * channels_;
  if (channels_ <= 2) {
    // Mono and stereo, the usual cases: the coefficients lie in the same
    // order as the interleaved input, so the window is one dot product
    // of kTaps * channels_ floats, four at a time.
    const std::size_t n = kTaps * channels_;
    const float* a = (channels_ == 2 ? stereo_kernel() : kernel()).data() + phase * n;
    const float* b = a + n;
    V4 acc0 = {0, 0, 0, 0}, acc1 = {0, 0, 0, 0};
    for (std::size_t i = 0; i < n; i += 8) {
      const V4 a0 = load(a + i), a1 = load(a + i + 4);
      acc0 += (a0 + (load(b + i) - a0) * sub) * load(in + i);
      acc1 += (a1 + (load(b + i + 4) - a1) * sub) * load(in + i + 4);
    }
    const V4 acc = acc0 + acc1;
    if (channels_ == 2) {
      out[0] = to_sample(acc[0] + acc[2]);
      out[1] = to_sample(acc[1] + acc[3]);
    } else {
      out[0] = to_sample(acc[0] + acc[1] + acc[2] + acc[3]);
    }
    return;
  }
  const float* a = kernel().data() + phase * kTaps;
  const float* b = a + kTaps;
  float coeff[kTaps];
  for (std::size_t k = 0; k < kTaps; ++k)
    coeff[k] = a[k] + (b[k] - a[k]) * sub;
  for (unsigned c = 0; c < channels_; ++c) {
    float acc = 0;
    for (std::size_t k = 0; k < kTaps; ++k)
      acc += coeff[k] * in[k * channels_ + c];
    out[c] = to_sample(acc);
  }
}

void FractionalResampler::render(std::int32_t* out, std::size_t out_frames, double ratio) {
  const std::uint64_t wanted = step_for(ratio);
  if (!out && (wanted != kUnit || frac_ == 0)) {
    // Only moving on, at a steady step: all at once.
    const std::uint64_t last = frac_ + (out_frames ? out_frames - 1 : 0) * wanted;
    const std::size_t reach = wanted == kUnit ? 0 : kHalfWidth;
    if (out_frames && center_ + static_cast<std::size_t>(last >> 32) + reach < end_) {
      const std::uint64_t pos = frac_ + out_frames * wanted;
      center_ += static_cast<std::size_t>(pos >> 32);
      frac_ = static_cast<std::uint32_t>(pos);
      step_ = wanted;
      return;
    }
  }
  for (std::size_t j = 0; j < out_frames; ++j) {
    // A whole position needs only its own frame; others, the window.
    if (frac_ == 0 ? center_ >= end_ : center_ + kHalfWidth >= end_) {
      // Input ran short (a caller that did not push what input_needed()
      // asked for): repeat silence rather than read past the end.
      if (out) std::fill_n(out + j * channels_, channels_, 0);
      continue;
    }
    if (out) {
      if (frac_ == 0) // a whole position: the frame itself, windowed or not
        std::copy_n(buffer_.data() + center_ * channels_, channels_, out + j * channels_);
      else
        interpolate(out + j * channels_);
    }
    const bool homing = wanted == kUnit && frac_ != 0;
    const std::uint64_t step = homing ? step_ : wanted;
    const std::uint64_t pos = frac_ + step;
    center_ += static_cast<std::size_t>(pos >> 32);
    frac_ = static_cast<std::uint32_t>(pos);
    if (!homing) {
      step_ = step;
      continue;
    }
    // Within one step of a whole frame: land on it and pass through from now on.
    const std::uint64_t reach = step > kUnit ? step - kUnit : kUnit - step;
    const std::uint64_t below = frac_, above = kUnit - frac_;
    if (below <= reach || above <= reach) {
      if (above <= reach) ++center_;
      frac_ = 0;
      step_ = kUnit;
    }
  }
}

double FractionalResampler::lookahead() const {
  return static_cast<double>(end_ - center_) - static_cast<double>(frac_) / 4294967296.0;
}

} // namespace disorder::playrtp
