// Sample format conversion: decode to 32-bit left-aligned integers, mix
// channels, resample with libsoxr, encode.
#include "converter.hpp"

#include "error.hpp"

#include <algorithm>
#include <cmath>
#include <soxr.h>

namespace disorder {

namespace {

// Frames handled per step; bounds the work space.
constexpr std::size_t kBlock = 1024;

// Samples are held as int32 with the sample's most significant bit at bit
// 31, whatever its width: widening is then a shift, narrowing a truncation.
template <unsigned Bytes, bool Big>
void decode_samples(const char* in, std::int32_t* out, std::size_t samples) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  for (std::size_t i = 0; i < samples; ++i, p += Bytes) {
    std::uint32_t v = 0;
    for (unsigned b = 0; b < Bytes; ++b)
      v |= std::uint32_t{p[Big ? b : Bytes - 1 - b]} << (24 - 8 * b);
    out[i] = static_cast<std::int32_t>(v);
  }
}

template <unsigned Bytes, bool Big>
void encode_samples(const std::int32_t* in, char* out, std::size_t samples) {
  auto* p = reinterpret_cast<unsigned char*>(out);
  for (std::size_t i = 0; i < samples; ++i, p += Bytes) {
    const auto v = static_cast<std::uint32_t>(in[i]);
    for (unsigned b = 0; b < Bytes; ++b)
      p[Big ? b : Bytes - 1 - b] = static_cast<unsigned char>(v >> (24 - 8 * b));
  }
}

template <bool Big> Converter::Decode decoder_for(unsigned bytes) {
  switch (bytes) {
  case 1:
    return &decode_samples<1, Big>;
  case 2:
    return &decode_samples<2, Big>;
  case 3:
    return &decode_samples<3, Big>;
  default:
    return &decode_samples<4, Big>;
  }
}

template <bool Big> Converter::Encode encoder_for(unsigned bytes) {
  switch (bytes) {
  case 1:
    return &encode_samples<1, Big>;
  case 2:
    return &encode_samples<2, Big>;
  case 3:
    return &encode_samples<3, Big>;
  default:
    return &encode_samples<4, Big>;
  }
}

Converter::Decode decoder_for(const AudioFormat& f) {
  // 8-bit samples have no byte order.
  return f.byte_order == std::endian::big ? decoder_for<true>(f.bits / 8)
                                          : decoder_for<false>(f.bits / 8);
}

Converter::Encode encoder_for(const AudioFormat& f) {
  return f.byte_order == std::endian::big ? encoder_for<true>(f.bits / 8)
                                          : encoder_for<false>(f.bits / 8);
}

// Where each channel of an N-channel stream is, assuming the WAVE /
// Vorbis / FLAC default layouts (the raw stream carries no layout).
enum class Speaker { left, right, centre, lfe, back_centre, left_surround, right_surround };

std::vector<Speaker> layout(unsigned channels) {
  using S = Speaker;
  switch (channels) {
  case 3:
    return {S::left, S::right, S::centre};
  case 4:
    return {S::left, S::right, S::left_surround, S::right_surround};
  case 5:
    return {S::left, S::right, S::centre, S::left_surround, S::right_surround};
  case 6:
    return {S::left, S::right, S::centre, S::lfe, S::left_surround, S::right_surround};
  case 7:
    return {S::left,        S::right,         S::centre,        S::lfe,
            S::back_centre, S::left_surround, S::right_surround};
  default:
    return {S::left,          S::right,          S::centre,        S::lfe,
            S::left_surround, S::right_surround, S::left_surround, S::right_surround};
  }
}

// The mixing matrix (out rows x in columns, as doubles) for a channel
// change: up-mixing copies (mono to the first two channels), down-mixing to
// stereo uses the usual -3 dB weights for centre and surrounds and drops
// LFE, each row scaled to sum to at most 1 so that nothing clips.
std::vector<double> mix_matrix(unsigned in, unsigned out) {
  std::vector<double> m(std::size_t{in} * out, 0.0);
  auto at = [&](unsigned o, unsigned i) -> double& { return m[std::size_t{o} * in + i]; };
  if (in == 1) {
    for (unsigned o = 0; o < std::min(out, 2u); ++o)
      at(o, 0) = 1.0;
    return m;
  }
  if (out > 2 || in <= out) {
    // Same channel meanings in the same places; extra outputs stay silent,
    // extra inputs are dropped.
    for (unsigned c = 0; c < std::min(in, out); ++c)
      at(c, c) = 1.0;
    return m;
  }
  // Down to stereo first.
  std::vector<double> stereo(std::size_t{in} * 2, 0.0);
  if (in == 2) {
    stereo[0] = 1.0;
    stereo[3] = 1.0;
  } else {
    const double k = std::sqrt(0.5);
    const auto speakers = layout(in);
    for (unsigned i = 0; i < in; ++i) {
      double l = 0, r = 0;
      switch (speakers[i]) {
      case Speaker::left:
        l = 1;
        break;
      case Speaker::right:
        r = 1;
        break;
      case Speaker::centre:
        l = r = k;
        break;
      case Speaker::lfe:
        break;
      case Speaker::back_centre:
        l = r = 0.5;
        break;
      case Speaker::left_surround:
        l = k;
        break;
      case Speaker::right_surround:
        r = k;
        break;
      }
      stereo[i] = l;
      stereo[in + i] = r;
    }
    for (unsigned row = 0; row < 2; ++row) {
      double sum = 0;
      for (unsigned i = 0; i < in; ++i)
        sum += stereo[row * in + i];
      for (unsigned i = 0; i < in; ++i)
        stereo[row * in + i] /= sum;
    }
  }
  if (out == 2) return stereo;
  for (unsigned i = 0; i < in; ++i) // mono: the mean of left and right
    at(0, i) = 0.5 * (stereo[i] + stereo[in + i]);
  return m;
}

void mix(const std::vector<std::int32_t>& matrix, unsigned in_ch, unsigned out_ch,
         const std::int32_t* in, std::int32_t* out, std::size_t frames) {
  for (std::size_t f = 0; f < frames; ++f, in += in_ch, out += out_ch) {
    const std::int32_t* row = matrix.data();
    for (unsigned o = 0; o < out_ch; ++o, row += in_ch) {
      std::int64_t acc = 0;
      for (unsigned i = 0; i < in_ch; ++i)
        acc += std::int64_t{in[i]} * row[i];
      acc >>= 15;
      out[o] = static_cast<std::int32_t>(
          std::clamp<std::int64_t>(acc, INT32_MIN, INT32_MAX)); // rounding can exceed by one
    }
  }
}

} // namespace

Converter::~Converter() {
  reset();
}

void Converter::reset() {
  if (resampler_) soxr_delete(resampler_);
  resampler_ = nullptr;
  configured_ = false;
  staged_pos_ = staged_len_ = 0;
  flushing_ = false;
}

void Converter::configure(const AudioFormat& in, const AudioFormat& out) {
  reset();
  if (!in.valid() || !out.valid())
    throw Error("cannot convert " + in.to_string() + " to " + out.to_string());
  in_ = in;
  out_ = out;
  decode_ = decoder_for(in);
  encode_ = encoder_for(out);
  matrix_.clear();
  if (in.channels != out.channels) {
    for (double c : mix_matrix(in.channels, out.channels))
      matrix_.push_back(static_cast<std::int32_t>(std::lround(c * 32768.0)));
  }
  mid_channels_ = std::min(in.channels, out.channels);
  const std::size_t widest = std::max(in.channels, out.channels);
  decoded_.assign(kBlock * widest, 0);
  mixed_.assign(kBlock * widest, 0);
  if (in.rate != out.rate) {
    resampled_.assign(kBlock * widest, 0);
    soxr_error_t error = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_INT32_I, SOXR_INT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1); // no helper threads
    resampler_ = soxr_create(in.rate, out.rate, mid_channels_, &error, &io, &quality, &runtime);
    if (!resampler_ || error)
      throw Error(std::string("cannot create a resampler: ") + (error ? error : "unknown error"));
  } else {
    resampled_.clear();
  }
  configured_ = true;
}

Converter::Result Converter::convert(std::string_view in, std::span<char> out) {
  if (!configured_) throw Error("converter used before configure()");
  const std::size_t in_bpf = in_.bytes_per_frame(), out_bpf = out_.bytes_per_frame();
  const std::size_t in_frames = in.size() / in_bpf;
  const std::size_t out_frames = out.size() / out_bpf;
  std::size_t used = 0, made = 0;
  if (!resampler_) {
    while (used < in_frames && made < out_frames) {
      const std::size_t n = std::min({kBlock, in_frames - used, out_frames - made});
      decode_(in.data() + used * in_bpf, decoded_.data(), n * in_.channels);
      const std::int32_t* samples = decoded_.data();
      if (!matrix_.empty()) {
        mix(matrix_, in_.channels, out_.channels, decoded_.data(), mixed_.data(), n);
        samples = mixed_.data();
      }
      encode_(samples, out.data() + made * out_bpf, n * out_.channels);
      used += n;
      made += n;
    }
    return {used * in_bpf, made * out_bpf};
  }
  while (made < out_frames) {
    if (staged_pos_ == staged_len_) {
      const std::size_t n = std::min(kBlock, in_frames - used);
      if (n == 0) break;
      decode_(in.data() + used * in_bpf, decoded_.data(), n * in_.channels);
      if (in_.channels > out_.channels)
        mix(matrix_, in_.channels, out_.channels, decoded_.data(), mixed_.data(), n);
      else
        std::copy_n(decoded_.data(), n * in_.channels, mixed_.data());
      staged_pos_ = 0;
      staged_len_ = n;
      used += n;
    }
    const std::size_t n = resample(out.data() + made * out_bpf, out_frames - made, false);
    made += n;
    if (n == 0 && staged_pos_ < staged_len_) break; // the resampler wants more room
  }
  return {used * in_bpf, made * out_bpf};
}

std::size_t Converter::drain(std::span<char> out) {
  if (!configured_ || !resampler_) return 0;
  const std::size_t out_frames = out.size() / out_.bytes_per_frame();
  std::size_t made = 0;
  while (made < out_frames) {
    const bool flush = staged_pos_ == staged_len_;
    const std::size_t before = staged_pos_;
    const std::size_t n =
        resample(out.data() + made * out_.bytes_per_frame(), out_frames - made, flush);
    made += n;
    if (n == 0 && (flush || staged_pos_ == before)) break;
  }
  return made * out_.bytes_per_frame();
}

std::size_t Converter::resample(char* out, std::size_t out_frames, bool flush) {
  if (flush && !flushing_) flushing_ = true;
  std::size_t idone = 0, odone = 0;
  const std::size_t olen = std::min(out_frames, kBlock);
  const std::int32_t* in = flushing_ ? nullptr : mixed_.data() + staged_pos_ * mid_channels_;
  soxr_error_t error = soxr_process(resampler_, in, flushing_ ? 0 : staged_len_ - staged_pos_,
                                    &idone, resampled_.data(), olen, &odone);
  if (error) throw Error(std::string("resampling failed: ") + error);
  if (!flushing_) staged_pos_ += idone;
  const std::int32_t* samples = resampled_.data();
  if (out_.channels > in_.channels) {
    mix(matrix_, in_.channels, out_.channels, resampled_.data(), decoded_.data(), odone);
    samples = decoded_.data();
  }
  encode_(samples, out, odone * out_.channels);
  return odone;
}

std::uint32_t volume_to_gain(int percent) {
  if (percent >= 100) return 65536;
  if (percent <= 0) return 0;
  const double db = (percent - 100) * 0.6;
  return static_cast<std::uint32_t>(std::lround(65536.0 * std::pow(10.0, db / 20.0)));
}

namespace {

template <unsigned Bytes, bool Big>
void scale(char* data, std::size_t frames, unsigned channels, const std::uint32_t* gains) {
  auto* p = reinterpret_cast<unsigned char*>(data);
  for (std::size_t f = 0; f < frames; ++f) {
    for (unsigned c = 0; c < channels; ++c, p += Bytes) {
      std::uint32_t v = 0;
      for (unsigned b = 0; b < Bytes; ++b)
        v |= std::uint32_t{p[Big ? b : Bytes - 1 - b]} << (24 - 8 * b);
      const std::int64_t scaled = (std::int64_t{static_cast<std::int32_t>(v)} * gains[c]) >> 16;
      const auto out = static_cast<std::uint32_t>(static_cast<std::int32_t>(scaled));
      for (unsigned b = 0; b < Bytes; ++b)
        p[Big ? b : Bytes - 1 - b] = static_cast<unsigned char>(out >> (24 - 8 * b));
    }
  }
}

} // namespace

void apply_gain(std::span<char> frames, const AudioFormat& format, std::uint32_t left_q16,
                std::uint32_t right_q16) {
  if (left_q16 == 65536 && right_q16 == 65536) return;
  std::uint32_t gains[8];
  const std::uint32_t mean = (left_q16 + right_q16) / 2;
  for (unsigned c = 0; c < 8; ++c)
    gains[c] = mean;
  if (format.channels >= 2) {
    gains[0] = left_q16;
    gains[1] = right_q16;
  }
  const std::size_t n = frames.size() / format.bytes_per_frame();
  const bool big = format.byte_order == std::endian::big;
  switch (format.bits) {
  case 8:
    scale<1, true>(frames.data(), n, format.channels, gains);
    break;
  case 16:
    big ? scale<2, true>(frames.data(), n, format.channels, gains)
        : scale<2, false>(frames.data(), n, format.channels, gains);
    break;
  case 24:
    big ? scale<3, true>(frames.data(), n, format.channels, gains)
        : scale<3, false>(frames.data(), n, format.channels, gains);
    break;
  default:
    big ? scale<4, true>(frames.data(), n, format.channels, gains)
        : scale<4, false>(frames.data(), n, format.channels, gains);
    break;
  }
}

} // namespace disorder
