// The Ogg Opus stream (RFC 7845): the jukebox's 44.1 kHz audio encoded as
// the rtp backend encodes it (OpusPacketEncoder: resampled to 48 kHz,
// 20 ms packets) and paged with libogg.  Each track starts a new chained
// logical stream whose OpusTags name it.
#pragma once

#include "audio/opus_packet_encoder.hpp"
#include "web/stream_encoder.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace disorder::web {

class OggOpusEncoder : public StreamEncoder {
public:
  // Throws Error if libopus or libsoxr cannot be set up.
  explicit OggOpusEncoder(int bitrate = 96000);
  ~OggOpusEncoder() override;
  OggOpusEncoder(const OggOpusEncoder&) = delete;
  OggOpusEncoder& operator=(const OggOpusEncoder&) = delete;

  void encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) override;
  void set_title(const TrackTitle& title, std::vector<StreamUnit>& out) override;
  std::vector<StreamUnit> headers() const override { return headers_; }
  const char* content_type() const override { return "audio/ogg"; }

  // The OpusHead and OpusTags packets (exposed for the unit tests).
  static std::string opus_head(int pre_skip);
  static std::string opus_tags(const TrackTitle& title);

private:
  struct Chain;
  void start_chain(std::vector<StreamUnit>& out);
  void end_chain(std::vector<StreamUnit>& out);
  void packet(std::span<const std::uint8_t> data, std::vector<StreamUnit>& out);
  void submit(std::string bytes, bool eos, std::vector<StreamUnit>& out);

  OpusPacketEncoder opus_;
  TrackTitle title_;
  std::unique_ptr<Chain> chain_;
  std::vector<StreamUnit> headers_;
  // The latest packet, held back so that the chain's last one can carry
  // the end-of-stream mark when the track changes.
  std::optional<std::string> held_;
};

} // namespace disorder::web
