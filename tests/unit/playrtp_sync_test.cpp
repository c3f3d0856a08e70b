// Unit tests for disorder-playrtp's synchronised playout: the schedule's
// mapping (timestamp unwrapping and units, the latest SR, trim, a latency
// this listener cannot meet), the receiver statistics of its reports, and
// the drift controller and Playout on the sender's timeline against a
// simulated sender, clock and output.
#include "clients/playrtp/clock_exchange.hpp"
#include "clients/playrtp/drift_controller.hpp"
#include "clients/playrtp/jitter_buffer.hpp"
#include "clients/playrtp/playout.hpp"
#include "clients/playrtp/reception_stats.hpp"
#include "clients/playrtp/stream_tracker.hpp"
#include "clients/playrtp/sync_schedule.hpp"

#include "rtp.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace disorder;
using namespace disorder::playrtp;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

std::vector<std::uint8_t> packet(std::uint32_t ssrc, std::uint16_t sequence,
                                 std::uint32_t timestamp, std::size_t frames, unsigned channels = 2,
                                 bool marker = false) {
  RtpHeader h;
  h.payload_type = channels == 2 ? kRtpPayloadL16Stereo : kRtpPayloadL16Mono;
  h.sequence = sequence;
  h.timestamp = timestamp;
  h.ssrc = ssrc;
  h.marker = marker;
  std::vector<std::uint8_t> d(h.size());
  encode_rtp_header(h, d);
  d.resize(d.size() + frames * channels * 2, 0x11);
  return d;
}

JitterBuffer::Settings buffer_settings() {
  JitterBuffer::Settings s;
  s.dynamic_format.byte_order = std::endian::big;
  s.max_frames = 44100;
  return s;
}

// Feeds `count` consecutive packets of 441 frames from timestamp `ts`.
void feed(JitterBuffer& b, std::uint32_t ssrc, std::uint32_t ts, int count, unsigned units = 1,
          std::int64_t now = 0) {
  for (int i = 0; i < count; ++i) {
    const auto d = packet(ssrc, static_cast<std::uint16_t>(100 + i),
                          ts + static_cast<std::uint32_t>(i * 441 * units), 441);
    b.insert(*decode_rtp_packet(d), now + i * 10 * kMs);
  }
}

} // namespace

TEST(PlayrtpSync, ClockMapConvertsBothWaysWithDrift) {
  ClockMap m{1000 * kSec, 7 * kSec, 1 + 200e-6};
  EXPECT_EQ(m.to_remote(1000 * kSec), 7 * kSec);
  EXPECT_EQ(m.to_remote(1001 * kSec), 8 * kSec + 200'000);
  for (std::int64_t local : {std::int64_t{0}, 999 * kSec + 12345, 1010 * kSec})
    EXPECT_NEAR(static_cast<double>(m.to_local(m.to_remote(local))), static_cast<double>(local), 1);
}

TEST(PlayrtpSync, TheSrTimestampIsUnwrappedOntoTheStreamsPositions) {
  // Frames: the packets start just before the 32-bit wrap; an SR from
  // just after it, and one from before the first packet.
  StreamTracker t(AudioFormat{});
  const std::uint32_t start = 0xffffff00u;
  for (int i = 0; i < 4; ++i) {
    const auto d =
        packet(7, static_cast<std::uint16_t>(i), start + static_cast<std::uint32_t>(i * 100), 100);
    t.track(*decode_rtp_packet(d), i);
  }
  ASSERT_TRUE(t.following());
  EXPECT_DOUBLE_EQ(*t.position_of(start + 1000u), 1000);
  EXPECT_DOUBLE_EQ(*t.position_of(static_cast<std::uint32_t>(start + 0x100u + 5u)), 0x100 + 5);
  EXPECT_DOUBLE_EQ(*t.position_of(start - 50u), -50);

  // Samples (DisOrder 5.2's stereo): two units a frame; an odd timestamp
  // falls between frames.
  StreamTracker s(AudioFormat{});
  for (int i = 0; i < 4; ++i) {
    const auto d =
        packet(8, static_cast<std::uint16_t>(i), 1000u + static_cast<std::uint32_t>(i * 200), 100);
    s.track(*decode_rtp_packet(d), i);
  }
  ASSERT_EQ(s.unit(), TimestampUnit::samples);
  EXPECT_DOUBLE_EQ(*s.position_of(1000u + 882u), 441);
  EXPECT_DOUBLE_EQ(*s.position_of(1000u + 883u), 441.5);
  EXPECT_FALSE(StreamTracker(AudioFormat{}).position_of(0));
}

TEST(PlayrtpSync, PositionsAreHeardAtTheSendersInstantPlusLatencyOnOurClock) {
  SyncAnchor a;
  a.ssrc = 1;
  a.sender_ns = 50 * kSec; // the sender's clock is 40 s ahead of ours
  a.latency_ns = 100 * kMs;
  a.clock = ClockMap{10 * kSec, 50 * kSec, 1.0};
  const SyncSchedule s(a, 1000, 44100);
  EXPECT_EQ(s.heard_ns(1000), 10 * kSec + 100 * kMs);
  EXPECT_EQ(s.heard_ns(1000 + 44100), 11 * kSec + 100 * kMs);
  EXPECT_NEAR(s.position_at(11 * kSec + 100 * kMs), 1000 + 44100, 1e-6);
  EXPECT_NEAR(s.position_at(s.heard_ns(123456.25)), 123456.25, 1e-3);
  // Trim: this room plays 3 ms later.
  a.trim_ns = 3 * kMs;
  const SyncSchedule trimmed(a, 1000, 44100);
  EXPECT_EQ(trimmed.heard_ns(1000), 10 * kSec + 103 * kMs);
  EXPECT_NEAR(trimmed.position_at(10 * kSec + 103 * kMs), 1000, 1e-6);
}

TEST(PlayrtpSync, AListenerThatNeedsMoreThanTheSharedLatencyPlaysLaterAndSaysSo) {
  EXPECT_EQ(choose_latency(100 * kMs, 40 * kMs).latency_ns, 100 * kMs);
  EXPECT_FALSE(choose_latency(100 * kMs, 40 * kMs).unmet);
  const LatencyChoice c = choose_latency(100 * kMs, 250 * kMs);
  EXPECT_EQ(c.latency_ns, 250 * kMs);
  EXPECT_TRUE(c.unmet);
}

TEST(PlayrtpSync, TheJitterBufferFollowsTheLatestSrOfTheFollowedSource) {
  JitterBuffer b(buffer_settings());
  SyncAnchor a;
  a.ssrc = 9;
  a.rtp_timestamp = 0xfffffff0u + 441; // after the wrap: position 441
  a.sender_ns = 5 * kSec;
  a.latency_ns = 100 * kMs;
  a.clock = ClockMap{0, 5 * kSec, 1.0}; // the SR's instant is our 0
  // An SR that comes before the stream is adopted is placed when it is.
  b.set_sync(a);
  EXPECT_FALSE(b.synchronised());
  feed(b, 9, 0xfffffff0u, 4);
  ASSERT_TRUE(b.streaming());
  ASSERT_TRUE(b.synchronised());
  // Position 441 is heard at 100 ms: at 100 ms, position() (0) is 441 behind.
  EXPECT_NEAR(b.due_offset(100 * kMs, 0), 441, 1e-6);
  EXPECT_NEAR(b.due_offset(90 * kMs, 0), 0, 1e-6);
  // The sender re-anchors after a silence: the latest SR counts.
  a.rtp_timestamp = 0xfffffff0u + 44100;
  a.sender_ns = 7 * kSec;
  b.set_sync(a);
  EXPECT_NEAR(b.due_offset(2 * kSec + 100 * kMs, 0), 44100, 1e-6);
  // Another source's SR is not ours: back to arrival-based playout.
  a.ssrc = 10;
  b.set_sync(a);
  EXPECT_FALSE(b.synchronised());
  b.set_sync(std::nullopt);
  EXPECT_FALSE(b.synchronised());
}

TEST(PlayrtpSync, ReceptionStatisticsCountLossAcrossTheSequenceWrap) {
  ReceptionStats r;
  r.reset(44100);
  std::uint16_t seq = 65530;
  std::uint32_t ts = 1000;
  std::int64_t t = 0;
  for (int i = 0; i < 20; ++i, ++seq, ts += 441, t += 10 * kMs)
    if (i != 3 && i != 12) r.received(seq, ts, t);
  EXPECT_EQ(r.extended_highest(), 65536u + 65530 + 19 - 65536);
  EXPECT_EQ(r.expected(), 20);
  EXPECT_EQ(r.lost(), 2);
  RtcpReportBlock b = r.report(42);
  EXPECT_EQ(b.ssrc, 42u);
  EXPECT_EQ(b.cumulative_lost, 2);
  EXPECT_EQ(b.fraction_lost, 2 * 256 / 20);
  EXPECT_EQ(b.jitter, 0u); // perfectly regular arrivals
  // Nothing lost since: fraction zero, the cumulative count stays.
  for (int i = 0; i < 10; ++i, ++seq, ts += 441, t += 10 * kMs)
    r.received(seq, ts, t);
  b = r.report(42);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 2);
  // Arrivals alternately 1 ms early and late: the jitter tends to 2 ms.
  for (int i = 0; i < 200; ++i, ++seq, ts += 441, t += 10 * kMs)
    r.received(seq, ts, t + (i % 2 ? kMs : -kMs));
  EXPECT_NEAR(r.jitter_s(), 0.002, 0.0002);
}

TEST(PlayrtpSync, InSyncTheControllerGlidesA5msStepAwayWithin2s) {
  for (double step : {0.005, -0.005}) {
    DriftController d(DriftController::synchronised());
    const double limit = DriftController::synchronised().max_glide;
    const double dt = 0.01;
    double error = step;
    double t = 0, converged_at = -1, worst_after = 0;
    while (t < 6) {
      const double ratio = d.update(error, dt);
      ASSERT_LE(std::fabs(ratio - 1), limit + 1e-12);
      error -= (ratio - 1) * dt; // consuming faster takes the lag down
      t += dt;
      if (converged_at < 0 && std::fabs(error) < 50e-6) converged_at = t;
      if (converged_at >= 0) worst_after = std::max(worst_after, std::fabs(error));
    }
    EXPECT_GE(converged_at, 0) << step;
    EXPECT_LT(converged_at, 2.0) << step;
    EXPECT_LT(worst_after, 50e-6) << step;
    std::printf("step %+.0f ms: under 50 us after %.2f s\n", step * 1e3, converged_at);
  }
}

TEST(PlayrtpSync, InSyncTheControllerFollowsAnOutputClock100PpmOff) {
  DriftController d(DriftController::synchronised());
  double error = 0, worst = 0;
  const double dt = 0.01;
  for (int i = 0; i < 6000; ++i) {
    const double ratio = d.update(error, dt);
    error -= (ratio - 1) * dt;
    error += 100e-6 * dt; // the output consumes 100 ppm slower than our clock
    if (i > 1000) worst = std::max(worst, std::fabs(error));
  }
  EXPECT_LT(worst, 30e-6);
  EXPECT_NEAR(d.drift(), 100e-6, 10e-6);
}

namespace {

// A sender whose clock reads ours plus `offset`, sending 441-frame
// packets of 44.1 kHz stereo that arrive 2 ms later, with an SR anchor
// published as the loop thread would; an output consuming 44.1 kHz of our
// clock with `lead` written ahead (like a paced command).
struct SyncSim {
  static constexpr double kRate = 44100;
  std::int64_t offset = 3 * kSec + 123'456;
  std::int64_t lead = 20 * kMs;
  std::int64_t latency = 100 * kMs;
  std::uint32_t ts0 = 0xffff0000u; // wraps a second and a half in
  JitterBuffer buffer{buffer_settings()};
  Playout playout{[] {
    Playout::Settings s;
    s.output.byte_order = std::endian::native;
    s.output.rate = 44100;
    s.output.channels = 2;
    return s;
  }()};
  ClockMap clock{0, 3 * kSec + 123'456, 1.0};
  std::int64_t now = 0;
  std::uint64_t sent = 0, written = 0, silence = 0;
  std::uint16_t seq = 0;
  std::int64_t first_play_audible = -1;
  double first_play_error_ms = 0;
  std::uint64_t silence_before_first = 0;
  std::vector<std::pair<std::int64_t, double>> errors; // (now, error ms)

  void publish() {
    SyncAnchor a;
    a.ssrc = 77;
    a.rtp_timestamp = ts0; // the instant of frame 0 on the sender's clock: offset
    a.sender_ns = offset;
    a.latency_ns = latency;
    a.clock = clock;
    buffer.set_sync(a);
  }

  void run(double seconds, int chunk = 441) {
    const auto end = now + static_cast<std::int64_t>(seconds * 1e9);
    while (now < end) {
      const auto queued_until =
          static_cast<std::int64_t>(static_cast<double>(written) * 1e9 / kRate);
      now = std::max(now, queued_until - lead);
      // Frame f leaves the sender at its clock's offset + f / rate, ours f / rate.
      while (static_cast<std::int64_t>(static_cast<double>(sent) * 1e9 / kRate) + 2 * kMs <= now) {
        const auto d = packet(77, seq++, ts0 + static_cast<std::uint32_t>(sent), 441);
        buffer.insert(*decode_rtp_packet(d),
                      static_cast<std::int64_t>(static_cast<double>(sent) * 1e9 / kRate) + 2 * kMs);
        sent += 441;
      }
      const std::int64_t audible = std::max(now, queued_until);
      const Playout::Step s =
          playout.plan(buffer, now, audible, static_cast<std::size_t>(chunk), false);
      if (s.kind == Playout::Step::Kind::play) {
        if (first_play_audible < 0) {
          first_play_audible = audible;
          first_play_error_ms = playout.stats().error_ms;
          silence_before_first = silence;
        }
        playout.discard();
        written += s.frames;
        errors.emplace_back(now, playout.stats().error_ms);
      } else if (s.kind == Playout::Step::Kind::silence) {
        written += s.frames;
        silence += s.frames;
      } else {
        now = s.until_ns;
      }
    }
  }
};

} // namespace

TEST(PlayrtpSync, PlayoutStartsOnTheExactFrameAndHoldsTheTimeline) {
  SyncSim sim;
  sim.publish();
  sim.run(3);
  // Frame 0 is heard at our 0 + latency: silence of exactly that length
  // went first (the output started at our 0).
  ASSERT_GE(sim.first_play_audible, 0);
  EXPECT_EQ(sim.silence_before_first, 4410u);
  EXPECT_NEAR(sim.first_play_error_ms, 0, 0.023);
  EXPECT_TRUE(sim.playout.stats().synchronised);
  EXPECT_EQ(sim.playout.stats().jumps, 0u);
  for (const auto& [t, e] : sim.errors)
    EXPECT_LT(std::fabs(e), 0.023) << t;
}

TEST(PlayrtpSync, AStepInTheClockEstimateIsGlidedWithin2s) {
  for (std::int64_t step : {5 * kMs, -5 * kMs}) {
    SyncSim sim;
    sim.publish();
    sim.run(2);
    // Our estimate of the sender's clock moves by 5 ms.
    sim.clock.remote_ref += step;
    sim.publish();
    const std::int64_t at = sim.now;
    sim.errors.clear();
    sim.run(4);
    double converged = -1, worst_after = 0;
    for (const auto& [t, e] : sim.errors) {
      if (converged < 0 && std::fabs(e) < 0.05) converged = (t - at) / 1e9;
      if (converged >= 0) worst_after = std::max(worst_after, std::fabs(e));
    }
    EXPECT_EQ(sim.playout.stats().jumps, 0u) << step;
    EXPECT_GE(converged, 0) << step;
    EXPECT_LT(converged, 2.0) << step;
    EXPECT_LT(worst_after, 0.05) << step;
    EXPECT_EQ(sim.buffer.stats().frames_concealed, 0u);
    std::printf("clock step %+lld ms: under 50 us after %.2f s\n",
                static_cast<long long>(step / kMs), converged);
  }
}

TEST(PlayrtpSync, WithoutATimelineItPlaysByArrivalAndSaysItIsNotSynchronised) {
  SyncSim sim;
  sim.run(1);
  EXPECT_FALSE(sim.buffer.synchronised());
  EXPECT_FALSE(sim.playout.stats().synchronised);
  EXPECT_TRUE(sim.playout.stats().playing);
}

namespace {

sockaddr_storage ipv4(const char* address, std::uint16_t port) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in&>(s);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, address, &in.sin_addr);
  return s;
}

std::vector<std::uint8_t> answer(std::int64_t t1, std::int64_t t2, std::int64_t t3) {
  std::vector<std::uint8_t> d(kTimePacketSize);
  encode_time_answer(TimeAnswer{t1, t2, t3}, d);
  return d;
}

} // namespace

TEST(PlayrtpSync, TheClockExchangeBelievesOnlyAnswersToItsRequestsFromWhereTheyWent) {
  ClockExchange x;
  const sockaddr_storage sender = ipv4("192.0.2.1", 5007);
  const socklen_t len = sizeof(sockaddr_in);
  std::array<std::uint8_t, kTimePacketSize> out;
  const std::int64_t offset = 40 * kSec;
  std::int64_t now = 1000 * kSec;
  ASSERT_EQ(x.request(now, sender, len, out), kTimePacketSize);
  ASSERT_TRUE(decode_time_request(out));
  EXPECT_EQ(decode_time_request(out)->t1, now);
  // From another address or port, or echoing a t1 never sent: refused.
  EXPECT_FALSE(x.answer(answer(now, now + offset + 100'000, now + offset + 110'000),
                        ipv4("192.0.2.2", 5007), len, now + 200'000));
  EXPECT_FALSE(x.answer(answer(now + 1, now + offset, now + offset), sender, len, now + 200'000));
  // The same address as an IPv4-mapped IPv6 one is the same sender.
  sockaddr_storage mapped{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(mapped);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(5007);
  inet_pton(AF_INET6, "::ffff:192.0.2.1", &in6.sin6_addr);
  EXPECT_TRUE(same_endpoint(sender, len, mapped, sizeof in6));
  // The right answer counts, once.
  EXPECT_TRUE(x.answer(answer(now, now + offset + 100'000, now + offset + 110'000), mapped,
                       sizeof in6, now + 210'000));
  EXPECT_FALSE(x.answer(answer(now, now + offset + 100'000, now + offset + 110'000), sender, len,
                        now + 210'000));
  EXPECT_EQ(x.answers(), 1u);
  EXPECT_EQ(x.refused(), 3u);
  // Requests come fast until the estimate is valid, many a second while
  // it settles and for the warm-up, then a few a second.
  EXPECT_EQ(x.next_request_ns(), now + ClockExchange::kFastIntervalNs);
  bool settled = false;
  const std::uint64_t before = x.answers();
  for (std::uint64_t i = 0; i < ClockExchange::kWarmupExchanges + 10; ++i) {
    now = x.next_request_ns();
    x.request(now, sender, len, out);
    const std::int64_t interval = x.next_request_ns() - now;
    const bool warming = x.answers() - before + 1 < ClockExchange::kWarmupExchanges;
    EXPECT_EQ(interval, !x.estimator().valid()                ? ClockExchange::kFastIntervalNs
                        : x.estimator().settling() || warming ? ClockExchange::kSettleIntervalNs
                                                              : ClockExchange::kSteadyIntervalNs)
        << i;
    settled = interval == ClockExchange::kSteadyIntervalNs;
    x.answer(answer(now, now + offset + 100'000, now + offset + 110'000), sender, len,
             now + 210'000);
  }
  ASSERT_TRUE(x.estimator().valid());
  EXPECT_NEAR(x.estimator().offset_ns(now), static_cast<double>(offset), 1000);
  EXPECT_TRUE(settled);
}
