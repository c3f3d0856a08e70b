// Decoding an Opus RTP stream for disorder-web's encoders.
#include "web/opus_rtp_input.hpp"

#include "error.hpp"

#include <algorithm>
#include <opus.h>
#include <soxr.h>

namespace disorder::web {

namespace {
constexpr int kRate = 48000;
constexpr int kStreamRate = 44100;
constexpr int kChannels = 2;
constexpr int kMaxFrames = 5760;       // 120 ms, the longest Opus packet
constexpr unsigned kMaxConcealed = 10; // more lost than this: silence will do
} // namespace

OpusRtpInput::OpusRtpInput() {
  int error = 0;
  decoder_ = opus_decoder_create(kRate, kChannels, &error);
  if (!decoder_ || error != OPUS_OK)
    throw Error(std::string("cannot start an Opus decoder: ") + opus_strerror(error));
  soxr_error_t serr = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_ = soxr_create(kRate, kStreamRate, kChannels, &serr, &io, &q, nullptr);
  if (!soxr_ || serr) {
    opus_decoder_destroy(decoder_);
    throw Error(std::string("cannot start a resampler: ") + (serr ? serr : "unknown error"));
  }
  pcm_.resize(static_cast<std::size_t>(kMaxFrames) * kChannels);
}

OpusRtpInput::~OpusRtpInput() {
  soxr_delete(soxr_);
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
  const std::size_t at = out_.size();
  const std::size_t room = frames * kStreamRate / kRate + 64;
  out_.resize(at + room * kChannels);
  std::size_t done_in = 0, done_out = 0;
  if (soxr_process(soxr_, pcm_.data(), frames, &done_in, out_.data() + at, room, &done_out) !=
      nullptr)
    done_out = 0;
  out_.resize(at + done_out * kChannels);
}

} // namespace disorder::web
