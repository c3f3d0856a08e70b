// Unit tests for disorder-playrtp's jitter buffer: packets in, frames out,
// with reordering, duplicates, loss, wrap-around, source changes, the two
// timestamp units, markers and timestamp jumps.
#include "clients/playrtp/jitter_buffer.hpp"
#include "clients/playrtp/payload_format.hpp"

#include "error.hpp"
#include "rtp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using namespace disorder;
using namespace disorder::playrtp;

namespace {

constexpr std::size_t kFrames = 352; // per packet, as DisOrder 5.2 sends
constexpr std::int64_t kMs = 1'000'000;

// The sample value that frame f of channel c carries: identifiable anywhere.
std::int16_t sample(std::int64_t f, unsigned c) {
  return static_cast<std::int16_t>((f * 7 + c * 1000) % 30000 + 1);
}

struct Sender {
  std::uint32_t ssrc = 0x11223344;
  std::uint8_t pt = kRtpPayloadL16Stereo;
  unsigned channels = 2;
  std::uint16_t sequence = 1000;
  std::uint32_t timestamp = 5000;
  unsigned units_per_frame = 1; // 2 for DisOrder 5.2's sample-counted stereo
  std::int64_t frame = 0;       // the next frame's index in the sender's signal

  // The next packet of `frames` frames; advances the sender.
  std::vector<std::uint8_t> next(std::size_t frames = kFrames, bool marker = false) {
    RtpHeader h;
    h.payload_type = pt;
    h.marker = marker;
    h.sequence = sequence++;
    h.timestamp = timestamp;
    h.ssrc = ssrc;
    std::vector<std::uint8_t> d(h.size());
    encode_rtp_header(h, d);
    for (std::size_t i = 0; i < frames; ++i)
      for (unsigned c = 0; c < channels; ++c) {
        const auto v = static_cast<std::uint16_t>(sample(frame + static_cast<std::int64_t>(i), c));
        d.push_back(static_cast<std::uint8_t>(v >> 8));
        d.push_back(static_cast<std::uint8_t>(v));
      }
    timestamp += static_cast<std::uint32_t>(frames * units_per_frame);
    frame += static_cast<std::int64_t>(frames);
    return d;
  }
  // Skip `frames` of signal (a silence: nothing sent, the clock runs on).
  void pause(std::size_t frames) {
    timestamp += static_cast<std::uint32_t>(frames * units_per_frame);
    frame += static_cast<std::int64_t>(frames);
  }
};

JitterBuffer::Settings settings(std::size_t max_frames = 44100) {
  JitterBuffer::Settings s;
  s.dynamic_format.byte_order = std::endian::big;
  s.max_frames = max_frames;
  return s;
}

JitterBuffer::Outcome insert(JitterBuffer& b, const std::vector<std::uint8_t>& d,
                             std::int64_t now = 0) {
  const auto p = decode_rtp_packet(d);
  EXPECT_TRUE(p.has_value());
  return b.insert(*p, now);
}

// Takes `frames` frames and returns them as native samples.
std::vector<std::int16_t> take(JitterBuffer& b, std::size_t frames) {
  const std::size_t channels = b.format().channels;
  std::vector<char> raw(frames * channels * 2);
  b.take(frames, raw.data());
  std::vector<std::int32_t> wide(frames * channels);
  decode_network_samples(raw.data(), wide.data(), wide.size(), 16);
  std::vector<std::int16_t> out;
  for (std::int32_t v : wide)
    out.push_back(static_cast<std::int16_t>(v >> 16));
  return out;
}

std::vector<std::int16_t> signal(std::int64_t from, std::size_t frames, unsigned channels = 2) {
  std::vector<std::int16_t> out;
  for (std::size_t i = 0; i < frames; ++i)
    for (unsigned c = 0; c < channels; ++c)
      out.push_back(sample(from + static_cast<std::int64_t>(i), c));
  return out;
}

} // namespace

TEST(PlayrtpJitter, FirstStereoPacketIsHeldUntilItsSuccessorShowsTheUnit) {
  JitterBuffer b(settings());
  Sender s;
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::held);
  EXPECT_FALSE(b.streaming());
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::accepted);
  ASSERT_TRUE(b.streaming());
  EXPECT_EQ(b.timestamp_unit(), TimestampUnit::frames);
  EXPECT_EQ(b.position(), 0);
  EXPECT_EQ(take(b, 2 * kFrames), signal(0, 2 * kFrames));
  EXPECT_EQ(b.stats().accepted, 2u);
}

TEST(PlayrtpJitter, ReorderedPacketsComeOutInOrder) {
  JitterBuffer b(settings());
  Sender s;
  std::vector<std::vector<std::uint8_t>> packets;
  for (int i = 0; i < 40; ++i)
    packets.push_back(s.next());
  // The first two in order (they start the stream), the rest shuffled.
  insert(b, packets[0]);
  insert(b, packets[1]);
  std::mt19937 rng(7);
  std::shuffle(packets.begin() + 2, packets.end(), rng);
  for (std::size_t i = 2; i < packets.size(); ++i)
    EXPECT_EQ(insert(b, packets[i]), JitterBuffer::Outcome::accepted);
  EXPECT_EQ(take(b, 40 * kFrames), signal(0, 40 * kFrames));
  EXPECT_EQ(b.stats().frames_concealed, 0u);
}

TEST(PlayrtpJitter, DuplicatesAreDroppedAndChangeNothing) {
  JitterBuffer b(settings());
  Sender s;
  const auto p0 = s.next(), p1 = s.next(), p2 = s.next();
  insert(b, p0);
  insert(b, p1);
  insert(b, p2);
  EXPECT_EQ(insert(b, p1), JitterBuffer::Outcome::duplicate);
  EXPECT_EQ(insert(b, p2), JitterBuffer::Outcome::duplicate);
  EXPECT_EQ(b.stats().duplicates, 2u);
  EXPECT_EQ(take(b, 3 * kFrames), signal(0, 3 * kFrames));
}

TEST(PlayrtpJitter, ALostPacketIsSilenceOfExactlyItsLength) {
  JitterBuffer b(settings());
  Sender s;
  insert(b, s.next());
  insert(b, s.next());
  s.next(300); // lost: an odd size, to see the length is its own
  insert(b, s.next());
  const auto out = take(b, 3 * kFrames + 300);
  auto expected = signal(0, 3 * kFrames + 300);
  std::fill(expected.begin() + 2 * kFrames * 2, expected.begin() + (2 * kFrames + 300) * 2, 0);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(b.stats().frames_concealed, 300u);
}

TEST(PlayrtpJitter, FramesNotYetSentAreSilenceButNotLoss) {
  JitterBuffer b(settings());
  Sender s;
  insert(b, s.next());
  insert(b, s.next());
  take(b, 2 * kFrames + 100);
  EXPECT_TRUE(b.drained());
  EXPECT_EQ(b.stats().frames_concealed, 0u);
}

TEST(PlayrtpJitter, ALossFoundOnlyAfterItsTimeWasPlayedCountsAsConcealed) {
  // With a short --min, a lost packet's time can come before the next
  // packet shows that it was lost.
  JitterBuffer b(settings());
  Sender s;
  insert(b, s.next());
  insert(b, s.next());
  take(b, 2 * kFrames);
  s.next(); // lost
  take(b, kFrames / 2);
  EXPECT_EQ(b.stats().frames_concealed, 0u); // not yet known to be lost
  insert(b, s.next());
  EXPECT_EQ(b.stats().frames_concealed, kFrames / 2);
  const auto out = take(b, kFrames / 2 + kFrames);
  auto expected = signal(2 * kFrames + kFrames / 2, kFrames / 2 + kFrames);
  std::fill(expected.begin(), expected.begin() + kFrames / 2 * 2, 0);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(b.stats().frames_concealed, kFrames);
}

TEST(PlayrtpJitter, TakingBeforeAnyStreamGivesNothingAndDoesNotFail) {
  JitterBuffer b(settings());
  Sender s;
  insert(b, s.next()); // held: one stereo packet does not yet show the unit
  EXPECT_FALSE(b.streaming());
  char out[16] = {1};
  EXPECT_EQ(b.take(4, out).present, 0u);
  EXPECT_EQ(out[0], 1);
}

TEST(PlayrtpJitter, SequenceAndTimestampWrapAround) {
  JitterBuffer b(settings());
  Sender s;
  s.sequence = 65533;
  s.timestamp = 0xffffffffu - 3 * kFrames + 17; // wraps inside the fourth packet
  for (int i = 0; i < 10; ++i)
    insert(b, s.next());
  EXPECT_EQ(b.stats().accepted, 10u);
  EXPECT_EQ(take(b, 10 * kFrames), signal(0, 10 * kFrames));
}

TEST(PlayrtpJitter, SampleCountedTimestampsAsDisOrder52SendsThem) {
  JitterBuffer b(settings());
  Sender s;
  s.units_per_frame = 2;
  s.timestamp = 0xffffffffu - 1001; // and wrapping, in samples
  std::vector<std::vector<std::uint8_t>> packets;
  for (int i = 0; i < 12; ++i)
    packets.push_back(s.next());
  insert(b, packets[0]);
  insert(b, packets[1]);
  EXPECT_EQ(b.timestamp_unit(), TimestampUnit::samples);
  // A lost packet and a reordered pair: positions come from the timestamps.
  insert(b, packets[3]);
  insert(b, packets[2]);
  for (int i = 5; i < 12; ++i)
    insert(b, packets[i]);
  auto expected = signal(0, 12 * kFrames);
  std::fill(expected.begin() + 4 * kFrames * 2, expected.begin() + 5 * kFrames * 2, 0);
  EXPECT_EQ(take(b, 12 * kFrames), expected);
  EXPECT_EQ(b.stats().frames_concealed, kFrames);
}

TEST(PlayrtpJitter, MonoNeedsNoPairToStart) {
  JitterBuffer b(settings());
  Sender s;
  s.pt = kRtpPayloadL16Mono;
  s.channels = 1;
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::accepted);
  EXPECT_EQ(b.format().channels, 1);
  EXPECT_EQ(take(b, kFrames), signal(0, kFrames, 1));
}

TEST(PlayrtpJitter, DynamicPayloadTypesUseTheConfiguredFormat) {
  JitterBuffer::Settings st = settings();
  st.dynamic_format = parse_payload_format("16/48000/1");
  JitterBuffer b(st);
  Sender s;
  s.pt = 97;
  s.channels = 1;
  insert(b, s.next());
  ASSERT_TRUE(b.streaming());
  EXPECT_EQ(b.format().rate, 48000u);
  EXPECT_EQ(take(b, kFrames), signal(0, kFrames, 1));
  // Types that are not L16 (PCMU here) are refused.
  Sender other;
  other.pt = 0;
  EXPECT_EQ(insert(b, other.next()), JitterBuffer::Outcome::unsupported);
}

TEST(PlayrtpJitter, PacketsAfterTheirPlayTimeAreLate) {
  JitterBuffer b(settings());
  Sender s;
  const auto p0 = s.next(), p1 = s.next(), p2 = s.next(), p3 = s.next();
  insert(b, p0);
  insert(b, p1);
  insert(b, p3);
  take(b, 3 * kFrames); // p2's frames played as silence
  EXPECT_EQ(insert(b, p2), JitterBuffer::Outcome::late);
  EXPECT_EQ(b.stats().late, 1u);
  EXPECT_EQ(take(b, kFrames), signal(3 * kFrames, kFrames));
}

TEST(PlayrtpJitter, ANewSourceTakesOverOnlyWhenTheOldOneIsQuiet) {
  JitterBuffer b(settings());
  Sender a, c;
  c.ssrc = 0x55667788;
  c.sequence = 9;
  c.timestamp = 123456789;
  c.frame = 100000; // a different signal
  std::int64_t now = 0;
  insert(b, a.next(), now);
  insert(b, a.next(), now += 8 * kMs);
  const std::uint64_t generation = b.generation();
  // A stray packet, and even a pair, from another source while the first
  // one is sending: held, not followed.
  EXPECT_EQ(insert(b, c.next(), now += 1 * kMs), JitterBuffer::Outcome::held);
  EXPECT_EQ(insert(b, c.next(), now += 1 * kMs), JitterBuffer::Outcome::held);
  insert(b, a.next(), now += 6 * kMs);
  EXPECT_EQ(b.generation(), generation);
  // The first source stops; the second one's next packet, after the quiet
  // time, takes over together with the two held packets.
  now += StreamTracker::kQuietNs;
  EXPECT_EQ(insert(b, c.next(), now), JitterBuffer::Outcome::accepted);
  EXPECT_NE(b.generation(), generation);
  EXPECT_EQ(b.stats().streams, 2u);
  EXPECT_EQ(b.position(), 0);
  EXPECT_EQ(take(b, 3 * kFrames), signal(100000, 3 * kFrames));
}

TEST(PlayrtpJitter, AMarkerAfterTheBufferRanDryReanchors) {
  JitterBuffer b(settings());
  Sender s;
  insert(b, s.next(), 0);
  insert(b, s.next(), 8 * kMs);
  take(b, 2 * kFrames);
  const std::uint64_t generation = b.generation();
  s.pause(44100); // a second of pause: the talk-spurt after it is re-anchored
  EXPECT_EQ(insert(b, s.next(kFrames, true), 1000 * kMs), JitterBuffer::Outcome::accepted);
  EXPECT_EQ(b.generation(), generation + 1);
  EXPECT_EQ(b.start(), 2 * static_cast<std::int64_t>(kFrames) + 44100);
  EXPECT_EQ(b.stats().resyncs, 1u);
  const std::uint64_t after = b.generation();
  insert(b, s.next(), 1008 * kMs);
  s.pause(100);
  insert(b, s.next(kFrames, true), 1016 * kMs); // audio queued: no re-anchoring
  EXPECT_EQ(b.generation(), after);
}

TEST(PlayrtpJitter, ATimestampJumpWithoutMarkerRestartsAfterAFewPackets) {
  JitterBuffer b(settings(8820));
  Sender s;
  insert(b, s.next());
  insert(b, s.next());
  const std::uint64_t generation = b.generation();
  s.timestamp += 0x40000000; // far beyond the buffer
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::early);
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::early);
  EXPECT_EQ(insert(b, s.next()), JitterBuffer::Outcome::accepted);
  EXPECT_EQ(b.generation(), generation + 1);
  EXPECT_EQ(b.stats().resyncs, 1u);
}

TEST(PlayrtpJitter, MemoryIsBoundedWhateverArrives) {
  JitterBuffer b(settings(4410));
  Sender s;
  insert(b, s.next());
  insert(b, s.next());
  const std::size_t bound = b.memory_bytes() + StreamTracker::kMaxHeldBytes;
  std::mt19937 rng(1);
  for (int i = 0; i < 5000; ++i) {
    Sender x;
    x.ssrc = rng() % 4; // a few sources, random everything
    x.sequence = static_cast<std::uint16_t>(rng());
    x.timestamp = static_cast<std::uint32_t>(rng());
    insert(b, x.next(1 + rng() % 2000), i * kMs);
    EXPECT_LE(b.memory_bytes(), bound + b.capacity_frames() * 4);
  }
}

TEST(PlayrtpJitter, DueOffsetFollowsTheLeastDelayedArrivals) {
  JitterBuffer b(settings());
  Sender s;
  // Packet k is sent at k * 8 ms (352 frames at 44.1 kHz is 7.98 ms) and
  // arrives 2 ms later, plus 0..5 ms of jitter on all but every tenth.
  std::mt19937 rng(3);
  const double period = kFrames * 1e9 / 44100;
  for (int k = 0; k < 100; ++k) {
    const std::int64_t jitter = k % 10 ? static_cast<std::int64_t>(rng() % 5'000'000) : 0;
    insert(b, s.next(), static_cast<std::int64_t>(k * period) + 2 * kMs + jitter);
  }
  // At local time t, with latency L, the frame due is (t - 2 ms - L) * rate.
  const std::int64_t t = 1000 * kMs, latency = 100 * kMs;
  const double due = (t - 2 * kMs - latency) * 44100.0 / 1e9;
  EXPECT_NEAR(b.due_offset(t, latency), due - static_cast<double>(b.position()), 1.0);
}

TEST(PlayrtpPayload, FormatsParse) {
  const AudioFormat f = parse_payload_format("24/48000/6");
  EXPECT_EQ(f.bits, 24);
  EXPECT_EQ(f.rate, 48000u);
  EXPECT_EQ(f.channels, 6);
  EXPECT_EQ(f.byte_order, std::endian::big);
  EXPECT_THROW(parse_payload_format("8/44100/2"), SyntaxError);
  EXPECT_THROW(parse_payload_format("16/44100"), SyntaxError);
  EXPECT_THROW(parse_payload_format("16/x/2"), SyntaxError);
  EXPECT_THROW(parse_payload_format("16/44100/9"), SyntaxError);
}
