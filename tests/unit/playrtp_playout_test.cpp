// Unit tests for disorder-playrtp's playout: the fractional resampler, the
// drift controller, and Playout against a simulated sender, network and
// output -- an hour of a sender whose clock is 200 ppm off, in a second.
#include "clients/playrtp/drift_controller.hpp"
#include "clients/playrtp/fractional_resampler.hpp"
#include "clients/playrtp/playout.hpp"

#include "rtp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>
#include <vector>

using namespace disorder;
using namespace disorder::playrtp;

namespace {

constexpr double kRate = 44100;

// Channel c is the sine, negated in odd channels.
std::vector<std::int32_t> sine(std::size_t frames, double freq, double amplitude, double offset = 0,
                               unsigned channels = 2) {
  std::vector<std::int32_t> v;
  for (std::size_t i = 0; i < frames; ++i) {
    const auto s = static_cast<std::int32_t>(std::lround(
        amplitude * std::sin(2 * M_PI * freq * (static_cast<double>(i) + offset) / kRate)));
    for (unsigned c = 0; c < channels; ++c)
      v.push_back(c % 2 ? -s : s);
  }
  return v;
}

} // namespace

TEST(PlayrtpResampler, RatioOnePassesSamplesThroughExactly) {
  FractionalResampler r(2, 1024);
  const auto in = sine(5000, 997, 1e9);
  std::vector<std::int32_t> out;
  std::size_t used = 0;
  while (out.size() < 4000 * 2) {
    const std::size_t need = r.input_needed(512, 1.0);
    r.push(in.data() + used * 2, need);
    used += need;
    std::vector<std::int32_t> chunk(512 * 2);
    r.render(chunk.data(), 512, 1.0);
    out.insert(out.end(), chunk.begin(), chunk.end());
    EXPECT_TRUE(r.bypassing());
  }
  EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin()));
  EXPECT_DOUBLE_EQ(r.lookahead(), static_cast<double>(used) - static_cast<double>(out.size() / 2));
}

TEST(PlayrtpResampler, OtherRatiosInterpolateTheSignal) {
  // Slower and faster by 500 ppm: output frame j is the input at j * ratio.
  // Mono and stereo take the vector path, three channels the plain one.
  for (unsigned ch : {1u, 2u, 3u}) {
    for (double ratio : {1.0005, 0.9995}) {
      FractionalResampler r(ch, 1024);
      const double amplitude = 1e9;
      const auto in = sine(20000, 1000, amplitude, 0, ch);
      std::vector<std::int32_t> out;
      std::size_t used = 0;
      while (out.size() < 16000 * ch) {
        const std::size_t need = r.input_needed(1000, ratio);
        r.push(in.data() + used * ch, need);
        used += need;
        std::vector<std::int32_t> chunk(1000 * ch);
        r.render(chunk.data(), 1000, ratio);
        out.insert(out.end(), chunk.begin(), chunk.end());
      }
      double worst = 0;
      for (std::size_t j = 0; j < out.size() / ch; ++j) {
        const double expected =
            amplitude * std::sin(2 * M_PI * 1000 * (static_cast<double>(j) * ratio) / kRate);
        worst = std::max(worst, std::fabs(out[ch * j] - expected));
        for (unsigned c = 1; c < ch; ++c)
          EXPECT_EQ(out[ch * j + c], c % 2 ? -out[ch * j] : out[ch * j]);
      }
      // Better than -80 dB.
      EXPECT_LT(worst / amplitude, 1e-4) << ch << " channels, ratio " << ratio;
      EXPECT_FALSE(r.bypassing());
    }
  }
}

TEST(PlayrtpResampler, BackToRatioOneItSnapsToWholeFramesAndCopies) {
  FractionalResampler r(1, 256);
  std::vector<std::int32_t> in(100000);
  for (std::size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<std::int32_t>(i * 1000);
  std::size_t used = 0;
  auto run = [&](double ratio, std::size_t frames, std::vector<std::int32_t>* out) {
    const std::size_t need = r.input_needed(frames, ratio);
    r.push(in.data() + used, need);
    used += need;
    std::vector<std::int32_t> chunk(frames);
    r.render(chunk.data(), frames, ratio);
    if (out) *out = chunk;
  };
  for (int i = 0; i < 20; ++i)
    run(1.0007, 256, nullptr);
  EXPECT_FALSE(r.bypassing());
  // At ratio 1 it keeps gliding for at most 1 / 0.0007 frames, then copies.
  for (int i = 0; i < 8 && !r.bypassing(); ++i)
    run(1.0, 256, nullptr);
  ASSERT_TRUE(r.bypassing());
  std::vector<std::int32_t> out;
  run(1.0, 256, &out);
  for (std::size_t j = 1; j < out.size(); ++j)
    EXPECT_EQ(out[j] - out[j - 1], 1000); // whole consecutive input frames
  EXPECT_EQ(out[0] % 1000, 0);
}

TEST(PlayrtpDrift, LockedForSmallErrorsTrackingForLargerOnes) {
  DriftController d;
  EXPECT_EQ(d.update(0.002, 0.01), 1.0);
  EXPECT_TRUE(d.locked());
  EXPECT_GT(d.update(0.004, 0.01), 1.0); // behind: faster
  EXPECT_FALSE(d.locked());
  EXPECT_LE(d.update(1.0, 0.01), 1.001); // never beyond 1000 ppm
  d.reset();
  EXPECT_LT(d.update(-0.004, 0.01), 1.0); // ahead: slower
}

namespace {

// A sender (clock off by `ppm`), a network (delay, jitter, loss,
// duplication) and an output that consumes exactly kRate frames per
// second of our clock, keeping `lead` written ahead like the command
// backend, all against one simulated clock.
struct Simulation {
  double ppm = 0;
  std::int64_t jitter_ns = 0;
  double loss = 0;
  std::size_t packet_frames = 352;
  std::size_t chunk = 441;
  std::int64_t lead_ns = 50'000'000;
  bool render = false;
  // 44.1 kHz stereo, payload type 10; or mono at `rate` (type 96), which
  // makes an hour quicker to simulate and controls just the same.
  double rate;
  bool mono;

  explicit Simulation(double sample_rate = kRate)
      : rate(sample_rate), mono(sample_rate != kRate), buffer([this] {
          JitterBuffer::Settings s;
          s.dynamic_format.byte_order = std::endian::big;
          s.dynamic_format.rate = static_cast<std::uint32_t>(rate);
          s.dynamic_format.channels = 1;
          s.max_frames = static_cast<std::size_t>(0.4 * rate);
          return s;
        }()),
        playout([this] {
          Playout::Settings s;
          s.latency_frames = static_cast<std::size_t>(0.2 * rate);
          s.output.byte_order = std::endian::native;
          s.output.rate = static_cast<std::uint32_t>(rate);
          s.output.channels = mono ? 1 : 2;
          return s;
        }()) {}

  JitterBuffer buffer;
  Playout playout;
  std::mt19937 rng{42};

  std::uint64_t sent_frames = 0;
  std::uint16_t sequence = 0;
  std::deque<std::pair<std::int64_t, std::vector<std::uint8_t>>> in_flight; // by arrival
  std::int64_t now = 0;
  std::uint64_t written = 0; // output frames
  std::uint64_t silence = 0; // of which silence
  double worst_error_ms = 0;
  double min_buffered_ms = 1e9, max_buffered_ms = 0;
  std::vector<std::int16_t> output; // when rendering

  std::vector<std::uint8_t> packet(std::size_t frames) {
    RtpHeader h;
    h.payload_type = mono ? kRtpPayloadDynamic : kRtpPayloadL16Stereo;
    h.sequence = sequence++;
    h.timestamp = static_cast<std::uint32_t>(sent_frames);
    h.ssrc = 1;
    std::vector<std::uint8_t> d(h.size());
    encode_rtp_header(h, d);
    for (std::size_t i = 0; i < frames; ++i) {
      const auto v = static_cast<std::uint16_t>(
          std::lround(8000 * std::sin(2 * M_PI * 440 * (sent_frames + i) / rate)));
      for (int c = 0; c < (mono ? 1 : 2); ++c) {
        d.push_back(static_cast<std::uint8_t>(v >> 8));
        d.push_back(static_cast<std::uint8_t>(v));
      }
    }
    sent_frames += frames;
    return d;
  }

  // Sends what the sender's clock has produced by our time t.
  void send_until(std::int64_t t) {
    for (;;) {
      const auto send_ns = static_cast<std::int64_t>(static_cast<double>(sent_frames) * 1e9 /
                                                     (rate * (1 + ppm * 1e-6)));
      if (send_ns > t) break;
      auto d = packet(packet_frames);
      if (std::uniform_real_distribution<>(0, 1)(rng) < loss) continue;
      const std::int64_t arrival =
          send_ns + 1'000'000 +
          (jitter_ns ? static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(jitter_ns))
                     : 0);
      auto at = in_flight.begin();
      while (at != in_flight.end() && at->first <= arrival)
        ++at;
      in_flight.insert(at, {arrival, std::move(d)});
    }
    while (!in_flight.empty() && in_flight.front().first <= t) {
      const auto p = decode_rtp_packet(in_flight.front().second);
      buffer.insert(*p, in_flight.front().first);
      in_flight.pop_front();
    }
  }

  void run(double seconds) {
    const auto end = static_cast<std::int64_t>(seconds * 1e9);
    while (now < end) {
      // The output has room again when less than lead_ns is queued.
      const auto queued_until =
          static_cast<std::int64_t>(static_cast<double>(written) * 1e9 / rate);
      now = std::max(now, queued_until - lead_ns);
      send_until(now);
      const std::int64_t audible = std::max(now, queued_until);
      const Playout::Step s = playout.plan(buffer, now, audible, chunk, false);
      if (s.kind == Playout::Step::Kind::play) {
        if (render) {
          const auto out = playout.render();
          const auto* p = reinterpret_cast<const std::int16_t*>(out.data());
          output.insert(output.end(), p, p + out.size() / 2);
          written += out.size() / (mono ? 2 : 4);
        } else {
          playout.discard();
          written += s.frames;
        }
        const PlayoutStats st = playout.stats();
        if (now > 60'000'000'000) {
          worst_error_ms = std::max(worst_error_ms, std::fabs(st.error_ms));
          min_buffered_ms = std::min(min_buffered_ms, st.buffered_ms);
          max_buffered_ms = std::max(max_buffered_ms, st.buffered_ms);
        }
      } else if (s.kind == Playout::Step::Kind::silence) {
        written += s.frames;
        silence += s.frames;
        if (render) output.insert(output.end(), s.frames * (mono ? 1 : 2), 0);
      } else {
        now = s.until_ns;
      }
    }
  }
};

} // namespace

TEST(PlayrtpPlayout, AnHourOfASenderClock200PpmOffNeitherEmptiesNorFillsTheBuffer) {
  for (double ppm : {200.0, -200.0}) {
    Simulation sim(8000);
    sim.ppm = ppm;
    sim.chunk = 160; // 20 ms, like an ALSA period
    sim.packet_frames = 160;
    sim.jitter_ns = 5'000'000;
    sim.run(3600);
    const PlayoutStats st = sim.playout.stats();
    const JitterStats& b = sim.buffer.stats();
    EXPECT_EQ(st.jumps, 0u) << ppm;
    EXPECT_EQ(b.late, 0u) << ppm;
    EXPECT_EQ(b.frames_concealed, 0u) << ppm;
    EXPECT_NEAR(st.drift_ppm, ppm, 5) << ppm;
    // It left the locked state to follow the sender's clock (and does not
    // lock again while the clocks disagree).
    EXPECT_EQ(st.glides, 1u) << ppm;
    EXPECT_LT(sim.worst_error_ms, 8) << ppm;
    // 200 ms target latency, minus the output's 50 ms lead, give or take
    // a packet and the controller's error.
    EXPECT_GT(sim.min_buffered_ms, 120) << ppm;
    EXPECT_LT(sim.max_buffered_ms, 190) << ppm;
    // Every frame sent was played, at the sender's rate: output frames over
    // an hour differ from input frames by the drift.
    const double played = static_cast<double>(b.frames_played);
    EXPECT_NEAR(static_cast<double>(sim.written - sim.silence) / played, 1 / (1 + ppm * 1e-6), 2e-6)
        << ppm;
    std::printf("%+.0f ppm: drift estimate %+.1f ppm, worst error %.2f ms, buffer %.1f..%.1f ms\n",
                ppm, st.drift_ppm, sim.worst_error_ms, sim.min_buffered_ms, sim.max_buffered_ms);
  }
}

TEST(PlayrtpPlayout, AgreeingClocksWithJitterAndLossPassSamplesThroughUnchanged) {
  Simulation sim;
  sim.jitter_ns = 20'000'000;
  sim.loss = 0.05;
  sim.render = true;
  sim.run(20);
  const PlayoutStats st = sim.playout.stats();
  EXPECT_TRUE(st.locked);
  EXPECT_EQ(st.glides, 0u);
  EXPECT_EQ(st.jumps, 0u);
  EXPECT_EQ(sim.buffer.stats().late, 0u);
  EXPECT_GT(sim.buffer.stats().frames_concealed, 0u);
  // Every output frame is silence or exactly the sender's frame: find where
  // the signal starts and check all that follows.
  std::size_t first = 0;
  while (first < sim.output.size() && sim.output[first] == 0)
    ++first;
  first -= first % 2;
  // The signal starts at a zero crossing: frame 0 is 0, frame 1 is not.
  ASSERT_GE(first, 2u);
  first -= 2;
  std::size_t checked = 0, silent = 0;
  for (std::size_t i = first; i + 1 < sim.output.size(); i += 2) {
    const std::size_t frame = (i - first) / 2;
    const auto v =
        static_cast<std::int16_t>(std::lround(8000 * std::sin(2 * M_PI * 440 * frame / kRate)));
    if (sim.output[i] == 0 && sim.output[i + 1] == 0 && v != 0) {
      ++silent;
      continue;
    }
    ASSERT_EQ(sim.output[i], v) << "frame " << frame;
    ASSERT_EQ(sim.output[i + 1], v);
    ++checked;
  }
  EXPECT_GT(checked, 17 * 44100u);
  EXPECT_NEAR(static_cast<double>(silent), static_cast<double>(sim.buffer.stats().frames_concealed),
              2 * 352.0);
}
