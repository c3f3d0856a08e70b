// Opus encoding of the jukebox's sound: 16-bit PCM at the stream's rate,
// resampled to 48 kHz with libsoxr and cut into Opus packets of one frame
// each, stereo, with in-band FEC on.  The rtp backend sends them in RTP
// (RFC 7587) and disorder-web pages them in Ogg (RFC 7845).  Pure
// computation, no socket and no clock: the caller (the rtp backend's
// sender thread, never the audio thread, since both libraries allocate and
// take time) stamps and sends what comes out.
//
// Timeline: within a segment (from reset() on, a run of contiguous input),
// packet k carries the 48 kHz samples from k * frame_samples(), and its
// decoded audio lags its input by lookahead() samples (the encoder's delay;
// the resampler's output is aligned with its input).  A caller that gives
// packet k the timestamp segment_start + k * frame_samples() - lookahead()
// makes each decoded sample's timestamp the instant of its input sample.
#pragma once

#include "audio_format.hpp"
#include "error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

struct OpusEncoder; // libopus
struct soxr;        // libsoxr

namespace disorder {

class OpusPacketEncoder {
public:
  static constexpr std::uint32_t kRate = 48000; // RFC 7587: the RTP clock, whatever the input
  static constexpr int kChannels = 2;

  // input: 16 bits, 1 or 2 channels, any byte order and rate.  bitrate in
  // bit/s (6000..510000); frame_us one of Opus's frame durations (2500,
  // 5000, 10000, 20000, 40000, 60000); complexity 0..10 (libopus's
  // default, 10, costs about twice 5's time).  Throws Error when the format
  // or a setting is unsupported or a library refuses.
  OpusPacketEncoder(const AudioFormat& input, int bitrate, int frame_us, int complexity = 10);
  OpusPacketEncoder(const OpusPacketEncoder&) = delete;
  OpusPacketEncoder& operator=(const OpusPacketEncoder&) = delete;
  ~OpusPacketEncoder();

  // 48 kHz samples (per channel) in one packet: 960 for 20 ms.
  std::uint32_t frame_samples() const { return frame_samples_; }
  // The encoder's delay in 48 kHz samples.
  std::uint32_t lookahead() const { return lookahead_; }

  // The FEC hint: the share of packets (percent, clamped to 0..100) that
  // listeners are expected to lose.  Takes effect from the next packet.
  void set_loss_percent(int percent);
  int loss_percent() const { return loss_percent_; }

  // A new segment: whatever input waits for a whole frame is dropped and
  // both the resampler's and the encoder's history are forgotten.
  void reset();
  // A new Opus stream of the same sound: the encoder's history is
  // forgotten (a decoder starting afresh decodes the next packet as it was
  // meant), but not the input, which goes on where it was.
  void restart_encoder();

  // Called with each packet (valid only during the call) and its index in
  // the segment.
  using PacketSink = std::function<void(std::span<const std::uint8_t>, std::uint64_t)>;
  // Takes whole input frames (bytes in the input format) and calls sink for
  // each packet they complete.  Throws Error if a library fails.
  void push(std::span<const std::uint8_t> frames, const PacketSink& sink);
  // Encodes one frame of silence, apart from the input (which waits), and
  // calls sink with it.
  void push_silence_frame(const PacketSink& sink);

private:
  void encode_ready(const PacketSink& sink);
  void encode(const float* samples, const PacketSink& sink);

  AudioFormat input_;
  std::uint32_t frame_samples_;
  std::uint32_t lookahead_ = 0;
  int loss_percent_ = 0;
  OpusEncoder* encoder_ = nullptr;
  soxr* resampler_ = nullptr;  // null when the input is at 48 kHz already
  std::vector<float> in_;      // the input as stereo floats
  std::vector<float> pending_; // 48 kHz stereo samples waiting for a whole frame
  std::vector<float> out_;     // the resampler's output buffer
  std::vector<std::uint8_t> packet_;
  std::uint64_t packets_ = 0; // in this segment
};

} // namespace disorder
