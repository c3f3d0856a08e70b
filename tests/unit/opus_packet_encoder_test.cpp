// Unit tests for the rtp backend's Opus encoding, against the real libopus
// decoder: a tone comes out at its frequency and level, at the instant the
// packet timestamps promise, and with in-band FEC that recovers a lost
// packet from the next one.
#include "audio/opus_packet_encoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <opus.h>
#include <vector>

using disorder::AudioFormat;
using disorder::OpusPacketEncoder;

namespace {

AudioFormat cd_big_endian() {
  AudioFormat f;
  f.rate = 44100;
  f.channels = 2;
  f.bits = 16;
  f.byte_order = std::endian::big;
  return f;
}

// `seconds` of 16-bit big-endian stereo at 44.1 kHz: silence until
// `onset` seconds, then a sine of `hz` at `amplitude` (of full scale).
std::vector<std::uint8_t> tone(double hz, double amplitude, double seconds, double onset = 0) {
  const auto n = static_cast<std::size_t>(seconds * 44100);
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 44100;
    const double v = t < onset ? 0 : amplitude * std::sin(2 * std::numbers::pi * hz * (t - onset));
    const auto s = static_cast<std::int16_t>(std::lround(v * 32767));
    for (int c = 0; c < 2; ++c) {
      out.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(s) >> 8));
      out.push_back(static_cast<std::uint8_t>(s));
    }
  }
  return out;
}

using Packets = std::vector<std::vector<std::uint8_t>>;

// Feeds `pcm` in pieces of `piece` frames, as the audio thread hands it on.
Packets encode(OpusPacketEncoder& encoder, const std::vector<std::uint8_t>& pcm,
               std::size_t piece = 352) {
  Packets packets;
  for (std::size_t at = 0; at < pcm.size(); at += piece * 4) {
    const std::size_t n = std::min(piece * 4, pcm.size() - at);
    encoder.push(std::span<const std::uint8_t>(pcm.data() + at, n),
                 [&](std::span<const std::uint8_t> p, std::uint64_t index) {
                   EXPECT_EQ(index, packets.size());
                   packets.emplace_back(p.begin(), p.end());
                 });
  }
  return packets;
}

struct Decoder {
  Decoder() {
    int error = 0;
    d = opus_decoder_create(48000, 2, &error);
    EXPECT_EQ(error, OPUS_OK);
  }
  ~Decoder() { opus_decoder_destroy(d); }
  // The left channel of one packet (fec: decode the packet before it from
  // this one's FEC data).
  std::vector<float> decode(const std::vector<std::uint8_t>& packet, int fec = 0) {
    std::vector<float> pcm(960 * 2);
    const int n = opus_decode_float(d, packet.data(), static_cast<opus_int32>(packet.size()),
                                    pcm.data(), 960, fec);
    EXPECT_EQ(n, 960);
    std::vector<float> left;
    for (int i = 0; i < std::max(n, 0); ++i)
      left.push_back(pcm[2 * i]);
    return left;
  }
  OpusDecoder* d = nullptr;
};

double rms(const std::vector<float>& x) {
  double sum = 0;
  for (float v : x)
    sum += double{v} * v;
  return x.empty() ? 0 : std::sqrt(sum / static_cast<double>(x.size()));
}

// The share of x's power at hz (Goertzel), 0..1.
double share_at(const std::vector<float>& x, double hz) {
  const double w = 2 * std::numbers::pi * hz / 48000;
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s = v + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
  const double total = rms(x) * rms(x) * static_cast<double>(x.size());
  return total == 0 ? 0 : 2 * power / (static_cast<double>(x.size()) * total);
}

TEST(OpusPacketEncoder, ToneKeepsFrequencyAndLevel) {
  OpusPacketEncoder encoder(cd_big_endian(), 96000, 20000);
  EXPECT_EQ(encoder.frame_samples(), 960u);
  const Packets packets = encode(encoder, tone(1000, 0.5, 1.0));
  // 1 s at 48 kHz, less what the resampler still holds.
  EXPECT_GE(packets.size(), 48u);
  EXPECT_LE(packets.size(), 50u);
  std::size_t bytes = 0;
  Decoder decoder;
  std::vector<float> out;
  for (const auto& p : packets) {
    bytes += p.size();
    const auto left = decoder.decode(p);
    out.insert(out.end(), left.begin(), left.end());
  }
  // About 96 kbit/s: 240 bytes per 20 ms, far below L16's 3528.
  EXPECT_LT(bytes / packets.size(), 400u);
  const std::vector<float> steady(out.begin() + 4800, out.end());
  EXPECT_GT(share_at(steady, 1000), 0.95);
  EXPECT_NEAR(20 * std::log10(rms(steady) / (0.5 / std::sqrt(2.0))), 0.0, 1.0);
}

TEST(OpusPacketEncoder, DecodedAudioLagsByTheLookahead) {
  // Silence, then a tone from 0.2 s: it is heard lookahead() samples into
  // the decoded stream after 0.2 s (9600 samples at 48 kHz), so that
  // timestamps less lookahead() put it at its input's instant.
  OpusPacketEncoder encoder(cd_big_endian(), 128000, 20000);
  const Packets packets = encode(encoder, tone(440, 0.5, 0.6, 0.2));
  Decoder decoder;
  std::vector<float> out;
  for (const auto& p : packets) {
    const auto left = decoder.decode(p);
    out.insert(out.end(), left.begin(), left.end());
  }
  std::size_t onset = 0;
  while (onset < out.size() && std::fabs(out[onset]) < 0.1)
    ++onset;
  ASSERT_LT(onset, out.size());
  const double expected = 9600.0 + encoder.lookahead();
  // Within 1 ms: the sine takes 0.13 ms to pass 0.1, and the filters ring.
  EXPECT_NEAR(static_cast<double>(onset), expected, 48.0);
}

TEST(OpusPacketEncoder, InBandFecRecoversALostPacket) {
  OpusPacketEncoder encoder(cd_big_endian(), 96000, 20000);
  encoder.set_loss_percent(20);
  EXPECT_EQ(encoder.loss_percent(), 20);
  const Packets packets = encode(encoder, tone(440, 0.5, 1.0));
  ASSERT_GT(packets.size(), 40u);
  // libopus carries FEC (LBRR) in its SILK layer: the packets are SILK or
  // hybrid (TOC configurations below 16), not CELT-only.
  for (std::size_t i = 5; i < packets.size(); ++i)
    EXPECT_LT(packets[i][0] >> 3, 16) << "packet " << i;
  // Packet 30 is lost: decoding it from packet 31's FEC data gives the tone.
  Decoder decoder;
  for (std::size_t i = 0; i < 30; ++i)
    decoder.decode(packets[i]);
  const std::vector<float> recovered = decoder.decode(packets[31], 1);
  EXPECT_GT(rms(recovered), 0.2);
  EXPECT_GT(share_at(recovered, 440), 0.8);
  // And decoding packet 31 itself goes on normally.
  EXPECT_GT(share_at(decoder.decode(packets[31]), 440), 0.8);
}

TEST(OpusPacketEncoder, ResetStartsASegment) {
  OpusPacketEncoder encoder(cd_big_endian(), 64000, 10000);
  EXPECT_EQ(encoder.frame_samples(), 480u);
  const auto pcm = tone(440, 0.3, 0.105);
  const Packets first = encode(encoder, pcm);
  // 5040 samples at 48 kHz, less what the resampler holds back.
  EXPECT_GE(first.size(), 9u);
  EXPECT_LE(first.size(), 10u);
  // The partial packet and the history are dropped, the indices restart
  // (encode() checks them), and the same input makes the same packets.
  encoder.reset();
  EXPECT_EQ(encode(encoder, pcm), first);
}

TEST(OpusPacketEncoder, MonoAndFortyEightKilohertzInput) {
  AudioFormat f;
  f.rate = 48000;
  f.channels = 1;
  f.bits = 16;
  f.byte_order = std::endian::little;
  OpusPacketEncoder encoder(f, 96000, 20000);
  std::vector<std::uint8_t> pcm(960 * 2 * 3); // three frames of silence
  std::size_t packets = 0;
  encoder.push(pcm, [&](std::span<const std::uint8_t> p, std::uint64_t) {
    EXPECT_FALSE(p.empty());
    ++packets;
  });
  EXPECT_EQ(packets, 3u);
}

TEST(OpusPacketEncoder, RefusesWhatOpusCannotCarry) {
  AudioFormat wide = cd_big_endian();
  wide.bits = 24;
  EXPECT_THROW(OpusPacketEncoder(wide, 96000, 20000), disorder::Error);
  EXPECT_THROW(OpusPacketEncoder(cd_big_endian(), 96000, 15000), disorder::Error);
  EXPECT_THROW(OpusPacketEncoder(cd_big_endian(), 1000, 20000), disorder::Error);
}

} // namespace
