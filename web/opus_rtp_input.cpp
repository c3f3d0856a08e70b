// Decoding an Opus RTP stream for disorder-web's encoders.
#include "web/opus_rtp_input.hpp"

#include "error.hpp"

#include <algorithm>
#include <bit>
#include <opus.h>
#include <string_view>

namespace disorder::web {

namespace {
constexpr int kRate = 48000;
constexpr int kStreamRate = 44100;
constexpr int kChannels = 2;
constexpr int kMaxFrames = 5760;       // 120 ms, the longest Opus packet
constexpr unsigned kMaxConcealed = 10; // more lost than this: silence will do
AudioFormat pcm_format(int rate) {
  AudioFormat f;
  f.rate = static_cast<std::uint32_t>(rate);
  f.channels = kChannels;
  f.bits = 16;
  f.byte_order = std::endian::native;
  return f;
}

} // namespace

OpusRtpInput::OpusRtpInput() {
  int error = 0;
  decoder_ = opus_decoder_create(kRate, kChannels, &error);
  if (!decoder_ || error != OPUS_OK)
    throw Error(std::string("cannot start an Opus decoder: ") + opus_strerror(error));
  try {
    converter_.configure(pcm_format(kRate), pcm_format(kStreamRate));
  } catch (...) {
    opus_decoder_destroy(decoder_);
    throw;
  }
  pcm_.resize(static_cast<std::size_t>(kMaxFrames) * kChannels);
}

OpusRtpInput::~OpusRtpInput() {
  opus_decoder_destroy(decoder_);
}

std::span<const int16_t> OpusRtpInput::decode(std::span<const unsigned char> payload,
                                              unsigned lost) {
  out_.clear();
  for (unsigned i = 0; i < std::min(lost, kMaxConcealed); ++i) {
    const int n = opus_decode(decoder_, nullptr, 0, pcm_.data(), last_frames_, 0);
    if (n > 0) resample(static_cast<std::size_t>(n));
  }
  if (payload.empty()) return out_;
  const int n = opus_decode(decoder_, payload.data(), static_cast<opus_int32>(payload.size()),
                            pcm_.data(), kMaxFrames, 0);
  if (n <= 0) return out_; // not Opus after all: nothing of it
  last_frames_ = n;
  resample(static_cast<std::size_t>(n));
  return out_;
}

void OpusRtpInput::resample(std::size_t frames) {
  std::string_view in(reinterpret_cast<const char*>(pcm_.data()),
                      frames * kChannels * sizeof(int16_t));
  while (!in.empty()) {
    const std::size_t at = out_.size();
    const std::size_t room = frames * kStreamRate / kRate + 256;
    out_.resize(at + room * kChannels);
    const auto r = converter_.convert(
        in, std::span<char>(reinterpret_cast<char*>(out_.data() + at), room * kChannels * 2));
    out_.resize(at + r.produced / sizeof(int16_t));
    in.remove_prefix(r.consumed);
    if (r.consumed == 0 && r.produced == 0) break;
  }
}

} // namespace disorder::web
