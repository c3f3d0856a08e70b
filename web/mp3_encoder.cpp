// The MP3 stream (mp3_encoder.hpp).
#include "web/mp3_encoder.hpp"

#include "error.hpp"

#include <lame/lame.h>

#include <memory>

namespace disorder::web {

namespace {

constexpr size_t kFramesPerUnit = 4;

} // namespace

std::optional<size_t> mp3_frame_length(std::string_view b) {
  if (b.size() < 4) return std::nullopt;
  const auto u = [&b](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (u(0) != 0xff || (u(1) & 0xe0) != 0xe0) return std::nullopt;
  const unsigned version = (u(1) >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
  const unsigned layer = (u(1) >> 1) & 3;   // 1: layer III
  const unsigned bitrate_index = u(2) >> 4;
  const unsigned rate_index = (u(2) >> 2) & 3;
  const unsigned padding = (u(2) >> 1) & 1;
  if (version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3)
    return std::nullopt;
  static const unsigned v1[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  static const unsigned v2[] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  static const unsigned rates[] = {44100, 48000, 32000};
  const bool mpeg1 = version == 3;
  const unsigned kbps = (mpeg1 ? v1 : v2)[bitrate_index];
  unsigned rate = rates[rate_index];
  if (version == 2) rate /= 2;
  if (version == 0) rate /= 4;
  return (mpeg1 ? 144000 : 72000) * kbps / rate + padding;
}

Mp3Encoder::Mp3Encoder(int kbps) : lame_(lame_init()) {
  if (!lame_) throw Error("cannot start the MP3 encoder");
  lame_set_in_samplerate(lame_, kStreamRate);
  lame_set_num_channels(lame_, kStreamChannels);
  lame_set_out_samplerate(lame_, kStreamRate);
  lame_set_brate(lame_, kbps);
  lame_set_VBR(lame_, vbr_off);
  lame_set_mode(lame_, JOINT_STEREO);
  // 5 is LAME's "good" quality at well under half the time of its best.
  lame_set_quality(lame_, 5);
  // A stream has no start to write a Xing header at.
  lame_set_bWriteVbrTag(lame_, 0);
  if (lame_init_params(lame_) < 0) {
    lame_close(lame_);
    throw Error("cannot set up the MP3 encoder");
  }
}

Mp3Encoder::~Mp3Encoder() {
  lame_close(lame_);
}

void Mp3Encoder::encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) {
  const size_t n = frames.size() / kStreamChannels;
  // LAME's own bound for the output of n frames.
  buffer_.resize(n * 5 / 4 + 7200);
  const int got =
      lame_encode_buffer_interleaved(lame_, const_cast<short*>(frames.data()), static_cast<int>(n),
                                     buffer_.data(), static_cast<int>(buffer_.size()));
  if (got <= 0) return;
  partial_.append(reinterpret_cast<const char*>(buffer_.data()), static_cast<size_t>(got));
  // Whole frames go out together; a byte that starts no frame is dropped
  // (LAME writes none, but a stream must never carry half a frame).
  size_t pos = 0, start = 0, whole = 0;
  while (pos + 4 <= partial_.size()) {
    auto len = mp3_frame_length(std::string_view(partial_).substr(pos));
    if (!len) {
      if (pos == start)
        start = ++pos;
      else
        break;
      continue;
    }
    if (pos + *len > partial_.size()) break;
    pos += *len;
    ++whole;
  }
  // Units of a few frames (about 100 ms): each unit costs every listener a
  // write.
  if (whole < kFramesPerUnit) {
    partial_.erase(0, start);
    return;
  }
  out.push_back({std::make_shared<const std::string>(partial_.substr(start, pos - start)), false});
  partial_.erase(0, pos);
}

} // namespace disorder::web
