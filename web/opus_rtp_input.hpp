// The jukebox's RTP stream when it is Opus (rtp_encoding opus): each
// packet's payload decoded with libopus and resampled from 48 kHz to the
// stream's 44.1 kHz (the speaker's Converter), so that disorder-web's encoders take it as they take
// L16.  Lost packets are concealed by Opus.  Loop thread only.
#pragma once

#include "audio/converter.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct OpusDecoder;

namespace disorder::web {

class OpusRtpInput {
public:
  OpusRtpInput(); // throws Error if libopus or libsoxr cannot start
  ~OpusRtpInput();
  OpusRtpInput(const OpusRtpInput&) = delete;
  OpusRtpInput& operator=(const OpusRtpInput&) = delete;

  // The audio of one packet (interleaved stereo at 44.1 kHz), after
  // concealing `lost` packets before it; empty if it cannot be decoded.
  std::span<const int16_t> decode(std::span<const unsigned char> payload, unsigned lost);

private:
  void resample(std::size_t frames);

  OpusDecoder* decoder_ = nullptr;
  Converter converter_;
  int last_frames_ = 960;
  std::vector<int16_t> pcm_; // 48 kHz
  std::vector<int16_t> out_; // 44.1 kHz
};

} // namespace disorder::web
