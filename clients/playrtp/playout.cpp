// Playout decisions, drift steering and format conversion per chunk.
#include "playout.hpp"

#include "arrival_clock.hpp"
#include "payload_format.hpp"

#include <algorithm>
#include <cmath>

namespace disorder::playrtp {

namespace {

// Input the resampler may ask for beyond the output frames of a chunk.
constexpr std::size_t kInputSlack = 4 * FractionalResampler::kHalfWidth + 64;

} // namespace

Playout::Playout(const Settings& settings) : settings_(settings), drift_(settings.drift) {}

void Playout::start_stream(const AudioFormat& format) {
  format_ = format;
  latency_ns_ = settings_.latency_frames
                    ? position_ns(static_cast<std::int64_t>(settings_.latency_frames), format.rate)
                    : kDefaultLatencyNs;
  mid_format_ = AudioFormat{};
  mid_format_.rate = format.rate;
  mid_format_.channels = format.channels;
  mid_format_.bits = 32;
  mid_format_.byte_order = std::endian::native;
  converter_.configure(mid_format_, settings_.output);
  converted_in_ = converted_out_ = 0;
  resampler_ = std::make_unique<FractionalResampler>(format.channels, kMaxChunk);
  const std::size_t in_frames = 2 * kMaxChunk + kInputSlack;
  raw_.assign(in_frames * format.bytes_per_frame(), 0);
  decoded_.assign(in_frames * format.channels, 0);
  resampled_.assign(kMaxChunk * format.channels, 0);
  // Rate conversion may bunch its output; leave room for twice the share.
  const std::size_t out_frames = 2 * (kMaxChunk * settings_.output.rate / format.rate + 1) + 1024;
  output_.assign(out_frames * settings_.output.bytes_per_frame(), 0);
}

std::size_t Playout::to_output_frames(double stream_frames) const {
  return static_cast<std::size_t>(
      std::ceil(stream_frames * settings_.output.rate / static_cast<double>(format_.rate)));
}

Playout::Step Playout::idle(std::int64_t now_ns, std::size_t chunk, bool suspend,
                            bool wake_on_packet) {
  Step s;
  if (suspend) {
    s.kind = Step::Kind::wait;
    s.until_ns = now_ns + kIdleNs;
    s.wake_on_packet = wake_on_packet;
    s.pause_output = true;
  } else {
    s.kind = Step::Kind::silence;
    s.frames = chunk;
  }
  return s;
}

// Not yet time for the next frame: `frames` (stream frames) too early.
Playout::Step Playout::hold(std::int64_t now_ns, double frames, std::size_t chunk, bool suspend,
                            bool pause_output) {
  Step s;
  if (suspend) {
    // Not all at once: the schedule firms up as packets arrive meanwhile
    // (an earlier arrival than any yet moves it forward).
    s.kind = Step::Kind::wait;
    s.until_ns =
        now_ns + std::min(kHoldStepNs, static_cast<std::int64_t>(frames * 1e9 / format_.rate));
    s.pause_output = pause_output;
  } else {
    s.kind = Step::Kind::silence;
    // On the timeline, to the nearest frame: the first frame then starts
    // within half a frame of its instant, and plays through unchanged.
    const std::size_t n =
        synchronised_
            ? static_cast<std::size_t>(std::llround(frames * settings_.output.rate / format_.rate))
            : to_output_frames(frames);
    s.frames = std::clamp<std::size_t>(n, 1, chunk);
  }
  return s;
}

Playout::Step Playout::plan(JitterBuffer& buffer, std::int64_t now_ns, std::int64_t audible_ns,
                            std::size_t chunk, bool suspend) {
  chunk = std::clamp<std::size_t>(chunk, 1, kMaxChunk);
  if (last_kind_ == Step::Kind::play && audible_ns > expected_audible_ns_ + kUnderrunSlackNs) {
    // The output ran dry (we were woken late).  On the timeline the gap is
    // already heard, so playout catches up at once, as after a pause,
    // rather than gliding back over seconds out of step; by arrival every
    // frame is kept and the drift controller takes up the lag.
    ++stats_.output_underruns;
    if (buffer.synchronised()) catch_up_ = true;
  }
  stats_.playing = false;
  Step s = decide(buffer, now_ns, audible_ns, chunk, suspend);
  // After a pause in the output, playout re-anchors instead of gliding.
  if (s.kind == Step::Kind::wait) catch_up_ = true;
  last_kind_ = s.kind;
  return s;
}

Playout::Step Playout::decide(JitterBuffer& buffer, std::int64_t now_ns, std::int64_t audible_ns,
                              std::size_t chunk, bool suspend) {
  if (!buffer.streaming()) return idle(now_ns, chunk, suspend, true);
  if (buffer.stream_number() != stream_) {
    stream_ = buffer.stream_number();
    drift_.reset(); // perhaps another sender, with another clock
    if (!resampler_ || !(buffer.format() == format_)) start_stream(buffer.format());
    generation_ = buffer.generation() - 1;
  }
  if (buffer.generation() != generation_) {
    generation_ = buffer.generation();
    started_ = false;
    catch_up_ = false;
    drift_.restart();
  }
  const double rate = format_.rate;
  const bool sync = buffer.synchronised();
  if (sync != synchronised_) {
    // The schedule changed its nature: the drift estimate meant the
    // sender's clock against the output's, and now means only the
    // output's against ours (or the reverse).
    synchronised_ = sync;
    DriftController::Settings d = settings_.sync_drift;
    // Passing samples through, playout is exact to a frame at best: errors
    // within most of a frame are left alone, or a low rate would always
    // resample.
    d.engage_s = std::max(d.engage_s, 0.75 / format_.rate);
    drift_.set_settings(sync ? d : settings_.drift);
    drift_.reset();
  }
  stats_.synchronised = sync;
  stats_.latency_ms =
      static_cast<double>(sync ? buffer.schedule()->anchor().latency_ns : latency_ns_) / 1e6;
  // On the timeline every frame counts (half a frame is as close as whole
  // frames get); otherwise a couple of milliseconds are not worth skipping
  // audio for.
  const double slack = sync ? 0.5 : kSlackNs * rate / 1e9;
  const double jump = (sync ? settings_.sync_jump_ns : kJumpNs) * rate / 1e9;
  if (!started_) {
    const double off = buffer.due_offset(audible_ns, latency_ns_);
    if (sync) {
      // To the nearest frame: within half a frame it starts now.
      if (off < -0.5) return hold(now_ns, -off, chunk, suspend, true);
      buffer.skip(off > 0.5 ? static_cast<std::size_t>(std::llround(off)) : 0);
    } else {
      if (off < 0) return hold(now_ns, -off, chunk, suspend, true);
      // Frames already due are skipped, unless so few that starting with
      // them is closer to the schedule than any listener can tell.
      buffer.skip(off > slack ? static_cast<std::size_t>(off) : 0);
    }
    resampler_->reset();
    started_ = true;
    catch_up_ = false;
  }
  if (buffer.drained() && now_ns - buffer.last_arrival_ns() > kIdleNs) {
    catch_up_ = true;
    return idle(now_ns, chunk, suspend, true);
  }

  double error = buffer.due_offset(audible_ns, latency_ns_) + held_frames();
  if (catch_up_) {
    // Back from a pause in the output or in the stream: the schedule has
    // moved on meanwhile.  Catch up at once (expected, not a jump).
    if (error < -slack) return hold(now_ns, -error, chunk, suspend, false);
    if (error > slack) {
      // To the nearest frame on the timeline, else the whole frames late.
      const auto late = static_cast<std::size_t>(sync ? std::llround(error) : error);
      buffer.skip(late);
      error -= static_cast<double>(late);
    }
    drift_.restart();
  } else if (std::fabs(error) > jump) {
    ++stats_.jumps;
    drift_.restart();
    if (error < 0) return hold(now_ns, -error, chunk, suspend, false);
    const auto late = static_cast<std::size_t>(error);
    buffer.skip(late);
    error -= static_cast<double>(late);
  }
  catch_up_ = false;

  // The stream frames that make about `chunk` output frames.
  std::size_t n = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(chunk * rate / settings_.output.rate)), 1, kMaxChunk);
  if (suspend) {
    // An output that can pause gets only what has arrived, not silence
    // standing in for what has not arrived yet.
    const double ready = static_cast<double>(buffer.newest() - buffer.position()) + held_frames();
    if (ready < 1) {
      Step w;
      w.kind = Step::Kind::wait;
      w.until_ns = now_ns + kDrainedWaitNs;
      w.wake_on_packet = true;
      return w;
    }
    n = std::min(n, static_cast<std::size_t>(ready));
  }
  const double ratio = drift_.update(error / rate, n / rate);
  const std::size_t need =
      std::min(resampler_->input_needed(n, ratio), raw_.size() / format_.bytes_per_frame());
  buffer.take(need, raw_.data());
  decode_network_samples(raw_.data(), decoded_.data(), need * format_.channels, format_.bits);
  resampler_->push(decoded_.data(), need);
  pending_frames_ = n;
  pending_ratio_ = ratio;

  stats_.playing = true;
  stats_.error_ms = error / rate * 1e3;
  stats_.ratio = ratio;
  stats_.drift_ppm = drift_.drift() * 1e6;
  if (stats_.locked && !drift_.locked()) ++stats_.glides;
  stats_.locked = drift_.locked();

  stats_.buffered_ms = (static_cast<double>(buffer.buffered_frames()) + held_frames()) / rate * 1e3;
  // Until render() says how much the output gets (rate conversion bunches
  // its output), about this much.
  expected_audible_ns_ = audible_ns + static_cast<std::int64_t>(n * 1e9 / rate);
  planned_audible_ns_ = audible_ns;
  Step s;
  s.kind = Step::Kind::play;
  s.frames = n;
  return s;
}

std::span<char> Playout::render() {
  resampler_->render(resampled_.data(), pending_frames_, pending_ratio_);
  std::string_view in(reinterpret_cast<const char*>(resampled_.data()),
                      pending_frames_ * mid_format_.bytes_per_frame());
  std::size_t produced = 0;
  while (!in.empty()) {
    const Converter::Result r = converter_.convert(in, std::span<char>(output_).subspan(produced));
    in.remove_prefix(r.consumed);
    produced += r.produced;
    if (r.consumed == 0 && r.produced == 0) break; // no room: output_ is sized so it cannot be
  }
  converted_in_ += pending_frames_;
  converted_out_ += produced / settings_.output.bytes_per_frame();
  expected_audible_ns_ = planned_audible_ns_ +
                         static_cast<std::int64_t>(produced / settings_.output.bytes_per_frame() *
                                                   1e9 / settings_.output.rate);
  pending_frames_ = 0;
  return std::span<char>(output_.data(), produced);
}

double Playout::held_frames() const {
  // What the rate conversion holds (libsoxr's filter delay), in stream
  // frames: what went in less what came out.
  const double converting =
      static_cast<double>(converted_in_) -
      static_cast<double>(converted_out_) * format_.rate / settings_.output.rate;
  return resampler_->lookahead() + converting;
}

void Playout::discard() {
  resampler_->render(nullptr, pending_frames_, pending_ratio_);
  converted_in_ += pending_frames_;
  converted_out_ += static_cast<std::uint64_t>(
      std::llround(static_cast<double>(pending_frames_) * settings_.output.rate / format_.rate));
  pending_frames_ = 0;
}

} // namespace disorder::playrtp
