// libopus and libsoxr behind OpusPacketEncoder.
#include "opus_packet_encoder.hpp"

#include <algorithm>
#include <opus.h>
#include <soxr.h>
#include <string>

namespace disorder {

namespace {

// RFC 7587's recommended maximum: an Opus packet never needs more than
// this for one frame at up to 510 kbit/s and 60 ms (3825 bytes), and it is
// what fits a 1500-byte MTU comfortably at the usual settings.
constexpr std::size_t kMaxPacket = 4000;

std::string opus_error(const char* what, int code) {
  return std::string(what) + ": " + opus_strerror(code);
}

} // namespace

OpusPacketEncoder::OpusPacketEncoder(const AudioFormat& input, int bitrate, int frame_us,
                                     int complexity)
    : input_(input), frame_samples_(static_cast<std::uint32_t>(static_cast<std::int64_t>(frame_us) *
                                                               kRate / 1'000'000)) {
  if (input.bits != 16 || (input.channels != 1 && input.channels != 2) || input.rate == 0)
    throw Error("Opus needs 16-bit mono or stereo input, not " + input.to_string());
  static constexpr int kFrames[] = {2500, 5000, 10000, 20000, 40000, 60000};
  if (std::find(std::begin(kFrames), std::end(kFrames), frame_us) == std::end(kFrames))
    throw Error("Opus frames last 2.5, 5, 10, 20, 40 or 60 ms");
  if (bitrate < 6000 || bitrate > 510000) throw Error("Opus bit rates are 6000 to 510000");
  if (complexity < 0 || complexity > 10) throw Error("Opus complexity is 0 to 10");
  int error = OPUS_OK;
  encoder_ = opus_encoder_create(kRate, kChannels, OPUS_APPLICATION_AUDIO, &error);
  if (!encoder_ || error != OPUS_OK) throw Error(opus_error("creating the Opus encoder", error));
  opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate));
  opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(0));
  opus_encoder_ctl(encoder_, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(complexity));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(encoder_, OPUS_GET_LOOKAHEAD(&lookahead));
  lookahead_ = static_cast<std::uint32_t>(std::max<opus_int32>(lookahead, 0));
  if (input.rate != kRate) {
    soxr_error_t e = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1); // no helper threads
    resampler_ = soxr_create(input.rate, kRate, kChannels, &e, &io, &quality, &runtime);
    if (!resampler_ || e) {
      opus_encoder_destroy(encoder_);
      throw Error(std::string("creating the resampler: ") + (e ? e : "failed"));
    }
  }
  packet_.resize(kMaxPacket);
}

OpusPacketEncoder::~OpusPacketEncoder() {
  if (resampler_) soxr_delete(resampler_);
  opus_encoder_destroy(encoder_);
}

void OpusPacketEncoder::set_loss_percent(int percent) {
  percent = std::clamp(percent, 0, 100);
  if (percent == loss_percent_) return;
  loss_percent_ = percent;
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(percent));
}

void OpusPacketEncoder::reset() {
  pending_.clear();
  if (resampler_) soxr_clear(resampler_);
  restart_encoder();
}

void OpusPacketEncoder::restart_encoder() {
  packets_ = 0;
  opus_encoder_ctl(encoder_, OPUS_RESET_STATE);
  // OPUS_RESET_STATE keeps the settings but the FEC hint is set again in
  // case a library version forgets it.
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(loss_percent_));
}

void OpusPacketEncoder::push(std::span<const std::uint8_t> frames, const PacketSink& sink) {
  const std::size_t bpf = input_.bytes_per_frame();
  const std::size_t n = frames.size() / bpf;
  if (n == 0) return;
  in_.resize(n * kChannels);
  const bool big = input_.byte_order == std::endian::big;
  for (std::size_t i = 0; i < n; ++i) {
    for (int c = 0; c < kChannels; ++c) {
      const std::size_t src = i * bpf + (input_.channels == 2 ? c * 2u : 0u);
      const std::uint8_t a = frames[src], b = frames[src + 1];
      const auto sample = static_cast<std::int16_t>(big ? (a << 8 | b) : (b << 8 | a));
      in_[i * kChannels + c] = sample / 32768.0f;
    }
  }
  if (!resampler_) {
    pending_.insert(pending_.end(), in_.begin(), in_.end());
  } else {
    // Enough room for all the output of this input, and what the resampler
    // may hold back from before.
    const std::size_t room = n * kRate / input_.rate + 1024;
    out_.resize(room * kChannels);
    std::size_t done = 0;
    const soxr_error_t e =
        soxr_process(resampler_, in_.data(), n, nullptr, out_.data(), room, &done);
    if (e) throw Error(std::string("resampling: ") + e);
    pending_.insert(pending_.end(), out_.begin(), out_.begin() + done * kChannels);
  }
  encode_ready(sink);
}

void OpusPacketEncoder::push_silence_frame(const PacketSink& sink) {
  const std::vector<float> silence(std::size_t{frame_samples_} * kChannels, 0.0f);
  encode(silence.data(), sink);
}

void OpusPacketEncoder::encode_ready(const PacketSink& sink) {
  const std::size_t frame = std::size_t{frame_samples_} * kChannels;
  std::size_t used = 0;
  try {
    for (; pending_.size() - used >= frame; used += frame)
      encode(pending_.data() + used, sink);
  } catch (...) {
    pending_.clear(); // what waited is dropped, as after a reset
    throw;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
}

void OpusPacketEncoder::encode(const float* samples, const PacketSink& sink) {
  const opus_int32 bytes =
      opus_encode_float(encoder_, samples, static_cast<int>(frame_samples_), packet_.data(),
                        static_cast<opus_int32>(packet_.size()));
  if (bytes < 0) throw Error(opus_error("encoding Opus", bytes));
  sink(std::span<const std::uint8_t>(packet_.data(), static_cast<std::size_t>(bytes)), packets_++);
}

} // namespace disorder
