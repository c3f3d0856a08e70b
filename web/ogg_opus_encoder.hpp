// The Ogg Opus stream (RFC 7845): the jukebox's 44.1 kHz audio resampled to
// 48 kHz with libsoxr, encoded with libopus and paged with libogg.  Each
// track starts a new chained logical stream whose OpusTags name it.
#pragma once

#include "web/stream_encoder.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct OpusEncoder;
struct soxr;

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
  void packet(const unsigned char* data, int len, std::vector<StreamUnit>& out);
  void submit(std::string bytes, bool eos, std::vector<StreamUnit>& out);

  OpusEncoder* opus_ = nullptr;
  soxr* soxr_ = nullptr;
  int pre_skip_ = 0;
  TrackTitle title_;
  std::unique_ptr<Chain> chain_;
  std::vector<StreamUnit> headers_;
  // 48 kHz float samples not yet a whole Opus frame.
  std::vector<float> pending_;
  std::vector<float> resampled_;
  // The latest packet, held back so that the chain's last one can carry
  // the end-of-stream mark when the track changes.
  std::optional<std::string> held_;
};

} // namespace disorder::web
