// The audio side of disorder-playrtp, one output chunk at a time: from the
// jitter buffer's schedule it decides whether the output should play, play
// silence or wait; it steers the drift resampler with DriftController;
// and it converts the stream's format into the output's.
//
// Each plan() measures the error: the stream position due to be heard at
// `audible_ns` (when the output will sound the next frame it is given:
// now plus the output's own delay) minus the position of that next frame.
// Small errors are glided away by the resampler; one past kJumpNs (the
// output stalled, the network held packets back for long, the sender's
// clock leapt) is corrected at once, by skipping frames when behind or by
// silence when ahead.  A new generation (new stream, talk-spurt, timeline
// jump) starts playing when its first frame is due.  When the buffer has
// run dry and nothing has arrived for kIdleNs the sender has paused or
// stopped: the output gets silence or, if it suspends, nothing, until
// packets come back.
//
// On the sender's timeline (JitterBuffer::synchronised()) the tolerances
// are tighter: a generation starts on the very frame that is due (after
// silence of the exact length, or skipping exactly the frames already
// due), the drift controller uses its synchronised settings (tens of
// microseconds), and only an error past Settings::sync_jump_ns is corrected
// at once; smaller steps are glided (as when the timeline arrives while
// playing by arrival, at its latency: JitterBuffer::expect_sync()).
//
// Threads: plan() is called with the jitter buffer's lock held; render()
// without, on the same (audio) thread.  Clock-free: the caller supplies
// every time, so tests can run it against a simulated clock.
#pragma once

#include "audio/converter.hpp"
#include "audio_format.hpp"
#include "drift_controller.hpp"
#include "fractional_resampler.hpp"
#include "jitter_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace disorder::playrtp {

struct PlayoutStats {
  bool playing = false;
  double error_ms = 0;                // playout lag behind schedule (negative: ahead)
  double ratio = 1.0;                 // input frames per output frame
  double drift_ppm = 0;               // DriftController's estimate
  bool locked = true;                 // passing samples through unchanged
  std::uint64_t glides = 0;           // times it left the locked state to resample
  bool synchronised = false;          // on the sender's timeline
  double latency_ms = 0;              // the latency played at
  std::uint64_t jumps = 0;            // errors past kJumpNs corrected at once
  std::uint64_t output_underruns = 0; // the output ran dry before we wrote
  double buffered_ms = 0;             // audio in the jitter buffer and the resampler
};

class Playout {
public:
  // The target latency when none is given: the output's own buffering
  // (kOutputShare of it) and tens of milliseconds of network jitter.
  static constexpr std::int64_t kDefaultLatencyNs = 80'000'000;
  static constexpr std::int64_t kJumpNs = 20'000'000;
  static constexpr std::int64_t kIdleNs = 100'000'000;
  // An output that sounds this much later than the previous chunk's end
  // ran dry.
  static constexpr std::int64_t kUnderrunSlackNs = 5'000'000;
  static constexpr std::size_t kMaxChunk = 8192;
  // Errors this small are left alone when (re)starting: no listener can
  // tell, and not skipping keeps the start of the audio.
  static constexpr std::int64_t kSlackNs = 2'000'000;
  // An output that suspends looks again after at most this while it waits
  // for a frame to fall due...
  static constexpr std::int64_t kHoldStepNs = 10'000'000;
  // ...or, with nothing to play, for more to arrive.
  static constexpr std::int64_t kDrainedWaitNs = 20'000'000;

  struct Settings {
    // --min, in frames at the stream's rate; 0 for kDefaultLatencyNs.
    std::size_t latency_frames = 0;
    AudioFormat output; // what the backend plays
    DriftController::Settings drift;
    // Synchronised playout's.
    DriftController::Settings sync_drift = DriftController::synchronised();
    std::int64_t sync_jump_ns = 50'000'000;
  };

  struct Step {
    enum class Kind { play, silence, wait } kind = Kind::wait;
    std::size_t frames = 0;      // silence: output frames
    std::int64_t until_ns = 0;   // wait: look again by then
    bool wake_on_packet = false; // wait: or as soon as a packet arrives
    // wait: nothing is playing (no stream yet, or it paused): an output
    // that can pause should.  Otherwise the wait is short, and what the
    // output holds plays on meanwhile.
    bool pause_output = false;
  };

  explicit Playout(const Settings& settings);
  Playout(const Playout&) = delete;
  Playout& operator=(const Playout&) = delete;

  // chunk: output frames the backend takes at a time.  suspend: the output
  // is paused by not writing (else silence is written).  Throws Error only
  // if a format conversion cannot be set up.
  Step plan(JitterBuffer& buffer, std::int64_t now_ns, std::int64_t audible_ns, std::size_t chunk,
            bool suspend);
  // After plan() said play: the chunk in the output format.
  std::span<char> render();
  // Instead of render(): move on without computing samples (simulations).
  void discard();
  // The output was reopened: the next chunk starts afresh.
  void output_restarted() { last_kind_ = Step::Kind::wait; }

  PlayoutStats stats() const { return stats_; }

private:
  Step decide(JitterBuffer& buffer, std::int64_t now_ns, std::int64_t audible_ns, std::size_t chunk,
              bool suspend);
  void start_stream(const AudioFormat& format);
  Step idle(std::int64_t now_ns, std::size_t chunk, bool suspend, bool wake_on_packet);
  Step hold(std::int64_t now_ns, double frames, std::size_t chunk, bool suspend, bool pause_output);
  std::size_t to_output_frames(double stream_frames) const;
  // Stream frames taken from the jitter buffer but not yet given to the
  // output: the resampler's lookahead and the rate converter's delay.
  double held_frames() const;

  Settings settings_;
  DriftController drift_;
  std::unique_ptr<FractionalResampler> resampler_;
  Converter converter_;
  AudioFormat format_;     // the stream's
  AudioFormat mid_format_; // the resampler's output: 32-bit native, stream rate and channels
  std::int64_t latency_ns_ = 0;
  std::uint64_t stream_ = 0, generation_ = 0;
  bool synchronised_ = false; // drift_ has the synchronised settings
  bool started_ = false;
  // The stream paused or the output waited: the schedule moved on
  // meanwhile, and playout catches up at once rather than gliding.
  bool catch_up_ = false;
  // Work space, sized by start_stream().
  std::vector<char> raw_;
  std::vector<std::int32_t> decoded_, resampled_;
  std::vector<char> output_;
  // Frames into and out of the converter since it was configured.
  std::uint64_t converted_in_ = 0, converted_out_ = 0;
  // What plan() set up for render().
  std::size_t pending_frames_ = 0;
  double pending_ratio_ = 1.0;
  // Output under-run detection.
  Step::Kind last_kind_ = Step::Kind::wait;
  std::int64_t expected_audible_ns_ = 0; // when the output runs out of what it got
  std::int64_t planned_audible_ns_ = 0;
  PlayoutStats stats_;
};

} // namespace disorder::playrtp
