// Unit tests for disorder-playrtp's Opus stage, through the jitter buffer
// as the player uses it: packets made by libopus's encoder go in (in
// order, reordered, lost, duplicated), and what comes out must be exactly
// what a libopus decoder makes when told the same story -- the packets
// decoded in order, a lost packet rebuilt from its successor's FEC when
// that came, else concealed -- with the counts to match.  Also the
// duplicate filter on its own and the reading of the server's SDP.
#include "clients/playrtp/duplicate_filter.hpp"
#include "clients/playrtp/jitter_buffer.hpp"
#include "clients/playrtp/opus_stage.hpp"
#include "clients/playrtp/payload_format.hpp"

#include "rtp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <opus.h>
#include <random>
#include <set>
#include <vector>

using namespace disorder;
using namespace disorder::playrtp;

namespace {

constexpr std::size_t kFrame = 960; // 20 ms at 48 kHz
constexpr std::size_t kPackets = 60;
constexpr std::uint8_t kPt = 96;

struct EncoderDeleter {
  void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
};
struct DecoderDeleter {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};

// kPackets packets of a 440 Hz stereo tone, encoded as a sender with
// in-band FEC expecting loss encodes it.
std::vector<std::vector<std::uint8_t>> encode_tone(bool fec = true, std::size_t frame = kFrame) {
  int error = 0;
  std::unique_ptr<OpusEncoder, EncoderDeleter> enc(
      opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &error));
  EXPECT_EQ(error, OPUS_OK);
  opus_encoder_ctl(enc.get(), OPUS_SET_BITRATE(64000));
  opus_encoder_ctl(enc.get(), OPUS_SET_INBAND_FEC(fec ? 1 : 0));
  opus_encoder_ctl(enc.get(), OPUS_SET_PACKET_LOSS_PERC(fec ? 20 : 0));
  std::vector<std::vector<std::uint8_t>> packets;
  std::vector<opus_int16> pcm(frame * 2);
  for (std::size_t k = 0; k < kPackets; ++k) {
    for (std::size_t i = 0; i < frame; ++i) {
      const double t = static_cast<double>(k * frame + i) / 48000;
      const auto v = static_cast<opus_int16>(12000 * std::sin(2 * M_PI * 440 * t));
      pcm[2 * i] = pcm[2 * i + 1] = v;
    }
    std::vector<std::uint8_t> out(1500);
    const int n = opus_encode(enc.get(), pcm.data(), static_cast<int>(frame), out.data(), 1500);
    EXPECT_GT(n, 0);
    out.resize(static_cast<std::size_t>(n));
    packets.push_back(out);
  }
  return packets;
}

// Packet k of the tone (sequence number k + sequence_offset: a sender
// that skipped sending some frames numbers on without a gap).
std::vector<std::uint8_t> rtp(const std::vector<std::uint8_t>& payload, std::size_t k,
                              std::size_t sequence_offset = 0, std::size_t frame = kFrame) {
  RtpHeader h;
  h.payload_type = kPt;
  h.marker = k == 0;
  h.sequence = static_cast<std::uint16_t>(65500 + k - sequence_offset); // wraps
  h.timestamp = static_cast<std::uint32_t>(0xfffff000u + k * frame);
  h.ssrc = 0x0b05;
  std::vector<std::uint8_t> d(h.size());
  encode_rtp_header(h, d);
  d.insert(d.end(), payload.begin(), payload.end());
  return d;
}

// What a decoder makes of the packets, told which are missing (and, for
// each missing one, whether the next is there to rebuild it from).
// concealed: missing packets concealed even though the next one came
// (it came too late).
std::vector<std::int16_t> reference(const std::vector<std::vector<std::uint8_t>>& packets,
                                    const std::set<std::size_t>& missing,
                                    const std::set<std::size_t>& concealed = {}) {
  int error = 0;
  std::unique_ptr<OpusDecoder, DecoderDeleter> dec(opus_decoder_create(48000, 2, &error));
  std::vector<std::int16_t> out;
  std::vector<opus_int16> pcm(5760 * 2);
  for (std::size_t k = 0; k < packets.size(); ++k) {
    int n;
    if (!missing.count(k))
      n = opus_decode(dec.get(), packets[k].data(), static_cast<opus_int32>(packets[k].size()),
                      pcm.data(), 5760, 0);
    else if (k + 1 < packets.size() && !missing.count(k + 1) && !concealed.count(k))
      n = opus_decode(dec.get(), packets[k + 1].data(),
                      static_cast<opus_int32>(packets[k + 1].size()), pcm.data(), kFrame, 1);
    else
      n = opus_decode(dec.get(), nullptr, 0, pcm.data(), kFrame, 0);
    EXPECT_EQ(n, static_cast<int>(kFrame));
    out.insert(out.end(), pcm.begin(), pcm.begin() + static_cast<long>(kFrame * 2));
  }
  return out;
}

JitterBuffer::Settings opus_settings() {
  JitterBuffer::Settings s;
  s.dynamic_opus = true;
  s.max_frames = 48000;
  return s;
}

void insert(JitterBuffer& b, const std::vector<std::uint8_t>& d) {
  const auto p = decode_rtp_packet(d);
  ASSERT_TRUE(p.has_value());
  b.insert(*p, 0);
}

std::vector<std::int16_t> take(JitterBuffer& b, std::size_t frames) {
  std::vector<char> raw(frames * 4);
  b.take(frames, raw.data());
  std::vector<std::int16_t> out(frames * 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(
        static_cast<unsigned char>(raw[2 * i]) << 8 | static_cast<unsigned char>(raw[2 * i + 1])));
  return out;
}

double rms(const std::int16_t* s, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<double>(s[i]) * s[i];
  return std::sqrt(sum / static_cast<double>(n));
}

} // namespace

TEST(PlayrtpOpus, PacketsAreDecodedInOrderWhateverOrderTheyCameIn) {
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  // Each packet swapped with its neighbour, from the second on.
  std::vector<std::size_t> order;
  order.push_back(0);
  for (std::size_t k = 1; k + 1 < kPackets; k += 2) {
    order.push_back(k + 1);
    order.push_back(k);
  }
  if (order.size() < kPackets) order.push_back(kPackets - 1);
  for (std::size_t k : order)
    insert(b, rtp(packets[k], k));
  ASSERT_TRUE(b.streaming() && b.opus());
  EXPECT_EQ(b.format(), opus_decoded_format());
  EXPECT_EQ(b.timestamp_unit(), TimestampUnit::frames);
  EXPECT_EQ(b.buffered_frames(), kPackets * kFrame);
  EXPECT_EQ(take(b, kPackets * kFrame), reference(packets, {}));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.decoded, kPackets);
  EXPECT_EQ(s.opus.fec + s.opus.plc + s.frames_concealed + s.duplicates, 0u);
}

TEST(PlayrtpOpus, DecodingWaitsUntilPlayoutReachesAPacket) {
  // Decoding is lazy: a packet that comes out of order, but before its
  // frames are taken, is decoded in its place.
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 20) insert(b, rtp(packets[k], k));
  auto out = take(b, 15 * kFrame);
  insert(b, rtp(packets[20], 20));
  const auto rest = take(b, (kPackets - 15) * kFrame);
  out.insert(out.end(), rest.begin(), rest.end());
  EXPECT_EQ(out, reference(packets, {}));
  EXPECT_EQ(b.stats().opus.fec + b.stats().opus.plc, 0u);
}

TEST(PlayrtpOpus, ALostPacketIsRebuiltFromTheNextPacketsFec) {
  const auto packets = encode_tone();
  ASSERT_TRUE(OpusStage::has_fec(packets[11]));
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 10) insert(b, rtp(packets[k], k));
  const auto out = take(b, kPackets * kFrame);
  EXPECT_EQ(out, reference(packets, {10}));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.fec, 1u);
  EXPECT_EQ(s.opus.plc, 0u);
  EXPECT_EQ(s.frames_concealed, 0u);
  EXPECT_EQ(s.opus.decoded, kPackets - 1);
  // Rebuilt, not silence: about the tone's level.
  const double level = rms(out.data() + 10 * kFrame * 2, kFrame * 2);
  const double around = rms(out.data() + 8 * kFrame * 2, kFrame * 2);
  EXPECT_GT(level, around * 0.5) << level << " vs " << around;
}

TEST(PlayrtpOpus, WithoutTheNextPacketALossIsConcealed) {
  // 30 and 31 lost: 30 is concealed, 31 rebuilt from 32's FEC.
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 30 && k != 31) insert(b, rtp(packets[k], k));
  EXPECT_EQ(take(b, kPackets * kFrame), reference(packets, {30, 31}));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.fec, 1u);
  EXPECT_EQ(s.opus.plc, 1u);
  EXPECT_EQ(s.frames_concealed, kFrame);
  EXPECT_EQ(s.opus.plc_gaps, 1u);
  EXPECT_EQ(s.opus.plc_longest, kFrame);
}

TEST(PlayrtpOpus, APacketMissingWhenPlayoutReachesItIsConcealedAndCountedOnceMoreArrive) {
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < 10; ++k)
    insert(b, rtp(packets[k], k));
  // Playout reaches packet 10 before it (or anything after it) came: it
  // is concealed; that it was lost shows only when 11 comes.
  auto out = take(b, 11 * kFrame);
  EXPECT_EQ(b.stats().opus.plc, 0u);
  EXPECT_TRUE(b.drained());
  for (std::size_t k = 11; k < kPackets; ++k)
    insert(b, rtp(packets[k], k));
  const auto rest = take(b, (kPackets - 11) * kFrame);
  out.insert(out.end(), rest.begin(), rest.end());
  EXPECT_EQ(out, reference(packets, {10}, {10}));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.plc, 1u);
  EXPECT_EQ(s.opus.fec, 0u);
  EXPECT_EQ(s.frames_concealed, kFrame);
  // Packet 10 coming now is late: its audio was concealed.
  const auto late = rtp(packets[10], 10); // the packet refers to it
  const auto p = decode_rtp_packet(late);
  EXPECT_EQ(b.insert(*p, 0), JitterBuffer::Outcome::late);
}

TEST(PlayrtpOpus, FramesTheSenderDidNotSendAreConcealedButNotCountedAsLost) {
  // Packets 20..29 never sent (DTX: the sequence numbers run on without
  // them); then 40 lost.
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if ((k < 20 || k >= 30) && k != 40) insert(b, rtp(packets[k], k, k >= 30 ? 10 : 0));
  const auto out = take(b, kPackets * kFrame);
  std::set<std::size_t> unsent;
  for (std::size_t k = 20; k < 30; ++k)
    unsent.insert(k);
  std::set<std::size_t> missing = unsent;
  missing.insert(40);
  EXPECT_EQ(out, reference(packets, missing, unsent));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.plc + s.opus.fec, 1u);
  EXPECT_EQ(s.frames_concealed, s.opus.plc * kFrame);
}

TEST(PlayrtpOpus, DuplicatesAreDroppedAndThePacketsTheySavedCounted) {
  // Every packet sent twice; the second copy of 5, 6 and 40 lost.
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k) {
    insert(b, rtp(packets[k], k));
    if (k != 5 && k != 6 && k != 40) insert(b, rtp(packets[k], k));
  }
  EXPECT_EQ(take(b, kPackets * kFrame), reference(packets, {}));
  const JitterStats s = b.stats();
  EXPECT_EQ(s.duplicates, kPackets - 3);
  EXPECT_EQ(s.saved_by_duplicate, 3u);
  EXPECT_EQ(s.opus.decoded, kPackets);
  // What the receiver reports to the sender counts each packet once.
  EXPECT_EQ(b.reception().packets(), kPackets);
  EXPECT_EQ(b.reception().lost(), 0);
  // A copy that comes after its packet was played is still a copy.
  const auto copy = rtp(packets[40], 40); // the packet refers to it
  const auto p = decode_rtp_packet(copy);
  EXPECT_EQ(b.insert(*p, 0), JitterBuffer::Outcome::duplicate);
  EXPECT_EQ(b.stats().saved_by_duplicate, 2u);
}

TEST(PlayrtpOpus, WithoutDuplicatesNothingCountsAsSaved) {
  // Every 7th packet lost: rebuilt when the next carries FEC (the encoder
  // adds it where it judges it worth it), else concealed.
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  std::set<std::size_t> lost;
  std::size_t rebuildable = 0;
  for (std::size_t k = 0; k < kPackets; ++k) {
    if (k % 7 == 3 && k + 1 < kPackets) {
      lost.insert(k);
      if (OpusStage::has_fec(packets[k + 1])) ++rebuildable;
    } else {
      insert(b, rtp(packets[k], k));
    }
  }
  ASSERT_GT(rebuildable, 0u);
  EXPECT_EQ(take(b, kPackets * kFrame).size(), kPackets * kFrame * 2);
  const JitterStats s = b.stats();
  EXPECT_EQ(s.saved_by_duplicate, 0u);
  EXPECT_EQ(s.opus.fec, rebuildable);
  EXPECT_EQ(s.opus.plc, lost.size() - rebuildable);
  EXPECT_EQ(s.frames_concealed, (lost.size() - rebuildable) * kFrame);
}

TEST(PlayrtpOpus, PacketsWithoutFecAreConcealed) {
  const auto packets = encode_tone(false);
  EXPECT_FALSE(OpusStage::has_fec(packets[20]));
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 20) insert(b, rtp(packets[k], k));
  take(b, kPackets * kFrame);
  EXPECT_EQ(b.stats().opus.fec, 0u);
  EXPECT_EQ(b.stats().opus.plc, 1u);
}

TEST(PlayrtpOpus, EachRunOfConcealedPacketsIsOneGapAndTheLongestIsKept) {
  // Without FEC: one packet lost, then three in a row.
  const auto packets = encode_tone(false);
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 10 && (k < 20 || k > 22)) insert(b, rtp(packets[k], k));
  take(b, kPackets * kFrame);
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.plc, 4u);
  EXPECT_EQ(s.opus.plc_gaps, 2u);
  EXPECT_EQ(s.opus.plc_long_gaps, 2u); // 20 and 60 ms
  EXPECT_EQ(s.opus.plc_longest, 3 * kFrame);
}

TEST(PlayrtpOpus, AGapOfOneTenMillisecondPacketIsNotOverTenMilliseconds) {
  // 10 ms packets without FEC: one lost, then two in a row.
  constexpr std::size_t frame = kFrame / 2;
  const auto packets = encode_tone(false, frame);
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    if (k != 10 && k != 20 && k != 21) insert(b, rtp(packets[k], k, 0, frame));
  take(b, kPackets * frame);
  const JitterStats s = b.stats();
  EXPECT_EQ(s.opus.plc, 3u);
  EXPECT_EQ(s.opus.plc_gaps, 2u);
  EXPECT_EQ(s.opus.plc_long_gaps, 1u);
  EXPECT_EQ(s.opus.plc_longest, 2 * frame);
}

TEST(PlayrtpOpus, AnUndecodablePacketIsConcealedAndNotAPacketIsMalformed) {
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < 10; ++k) {
    auto payload = packets[k];
    if (k == 4) payload.resize(payload.size() + 3000, 0xff); // too long a frame
    insert(b, rtp(payload, k));
  }
  // An empty payload is no Opus packet.
  const auto empty = rtp({}, 10); // the packet refers to it
  const auto p = decode_rtp_packet(empty);
  EXPECT_EQ(b.insert(*p, 0), JitterBuffer::Outcome::malformed);
  take(b, 10 * kFrame);
  EXPECT_EQ(b.stats().opus.decoded + b.stats().opus.undecodable, 10u);
}

TEST(PlayrtpOpus, SkippedAudioIsNotDecoded) {
  const auto packets = encode_tone();
  JitterBuffer b(opus_settings());
  for (std::size_t k = 0; k < kPackets; ++k)
    insert(b, rtp(packets[k], k));
  b.skip(10 * kFrame + 100);
  EXPECT_EQ(b.position(), static_cast<std::int64_t>(10 * kFrame + 100));
  take(b, 5 * kFrame);
  // From packet 10 on (the one playout is in), nothing concealed.
  EXPECT_EQ(b.stats().opus.decoded, 6u);
  EXPECT_EQ(b.stats().opus.plc + b.stats().frames_concealed, 0u);
}

TEST(PlayrtpOpus, StaticPayloadTypesStayL16) {
  EXPECT_FALSE(payload_is_opus(kRtpPayloadL16Stereo, true));
  EXPECT_TRUE(payload_is_opus(96, true));
  EXPECT_FALSE(payload_is_opus(96, false));
  EXPECT_EQ(payload_format(97, AudioFormat{}, true), opus_decoded_format());
}

TEST(PlayrtpDuplicateFilter, CopiesByNumberAcrossTheWrap) {
  DuplicateFilter f;
  EXPECT_FALSE(f.arrived(65535));
  EXPECT_FALSE(f.arrived(0));
  EXPECT_TRUE(f.arrived(65535));
  EXPECT_FALSE(f.arrived(2));
  EXPECT_FALSE(f.arrived(1)); // reordered, first copy
  EXPECT_TRUE(f.arrived(1));
  EXPECT_EQ(f.duplicates(), 2u);
  // 0 and 2 arrived once next to copies: saved.
  EXPECT_EQ(f.saved(), 2u);
  // Long after, judged and settled: the count stays.
  for (std::uint16_t s = 3; s < 1000; ++s) {
    f.arrived(s);
    f.arrived(s);
  }
  EXPECT_EQ(f.saved(), 2u);
  f.reset();
  EXPECT_EQ(f.saved(), 2u);
  EXPECT_FALSE(f.arrived(1));
}

TEST(PlayrtpDuplicateFilter, WithThreeCopiesAPacketThatLostOneOrTwoWasSaved) {
  DuplicateFilter f;
  for (std::uint16_t s = 100; s < 140; ++s) {
    const int copies = s == 110 ? 1 : s == 120 ? 2 : 3;
    EXPECT_FALSE(f.arrived(s));
    for (int k = 1; k < copies; ++k)
      EXPECT_TRUE(f.arrived(s));
  }
  EXPECT_EQ(f.saved(), 2u);
  EXPECT_EQ(f.duplicates(), 40u * 2 - 2 - 1);
}

TEST(PlayrtpDuplicateFilter, AStrayDuplicateSavesNothing) {
  DuplicateFilter f;
  for (std::uint16_t s = 0; s < 40; ++s)
    f.arrived(s);
  EXPECT_TRUE(f.arrived(20)); // the network duplicated one
  EXPECT_EQ(f.saved(), 0u);
}

TEST(PlayrtpSdp, OpusAndL16AreRecognised) {
  const std::vector<std::string> opus{
      "v=0",
      "m=audio 9000 RTP/AVP 96",
      "a=rtpmap:96 opus/48000/2",
      "a=fmtp:96 stereo=1; sprop-stereo=1; useinbandfec=1",
  };
  const auto o = sdp_dynamic_payload(opus);
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->opus);
  EXPECT_EQ(o->pt, 96);
  const auto l = sdp_dynamic_payload({"m=audio 9000 RTP/AVP 97", "a=rtpmap:97 L16/48000"});
  ASSERT_TRUE(l.has_value());
  EXPECT_FALSE(l->opus);
  EXPECT_EQ(l->format.rate, 48000u);
  EXPECT_EQ(l->format.channels, 1u);
  // Static types, no rtpmap line, another type's line, nonsense: unknown.
  EXPECT_FALSE(sdp_dynamic_payload({"m=audio 9000 RTP/AVP 10", "a=rtpmap:10 L16/44100/2"}));
  EXPECT_FALSE(sdp_dynamic_payload({"m=audio 9000 RTP/AVP 96"}));
  EXPECT_FALSE(sdp_dynamic_payload({"m=audio 9000 RTP/AVP 96", "a=rtpmap:97 opus/48000/2"}));
  EXPECT_FALSE(sdp_dynamic_payload({"m=audio 9000 RTP/AVP 96", "a=rtpmap:96 L16/x/2"}));
  EXPECT_FALSE(sdp_dynamic_payload({}));
}
