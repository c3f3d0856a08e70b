// The speaker's audio output: an abstract Backend with one implementation
// per file (backend_command.cpp, backend_rtp.cpp, backend_alsa.cpp,
// backend_ao.cpp), chosen by the configured `api` from a table.
//
// Threads: set_volume() and volume() are called on the loop thread (they
// use a mixer handle of their own), and so are add_listener(),
// remove_listener() (lock-free towards the audio thread) and
// listener_reports(); everything else
// on the audio thread only, apart from abort(), which any thread may call.
#pragma once

#include "audio_format.hpp"
#include "config.hpp"
#include "error.hpp"
#include "listener_report_queue.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace disorder {

// The output failed (device gone, command exited, socket unusable).  The
// audio thread closes the backend, waits a little, opens it again and plays
// the same frames again.
class BackendError : public Error {
public:
  using Error::Error;
};

// Options from the command line, most of which the configuration has no
// item for.
struct BackendOptions {
  // --rtp-timestamps, which overrides the configuration's rtp_timestamps.
  std::optional<RtpTimestamps> rtp_timestamps;
  std::string ao_file; // ao: write to this file with a file driver
  // How much audio a command or ALSA output holds ahead of time (a command
  // takes three quarters of that at a time, ALSA half); zero for the backend's own default (50 ms
  // for a command, 80 ms for ALSA).  disorder-playrtp sets it from its
  // target latency.  libao and RTP ignore it.
  std::chrono::microseconds buffer{0};
  // command: each write leaves when its first frame is due (the pacer's
  // lead is one chunk) rather than up to a quarter of `buffer` early, so
  // that what the command reads is heard as it reads it (disorder-playrtp's
  // synchronised playout).
  bool write_when_due = false;
};

class Backend {
public:
  enum class PauseStyle {
    silence, // keep calling silence() while paused
    suspend, // pause() ... resume(); nothing is written in between
  };

  virtual ~Backend() = default;

  // Acquire the output for `format` (the speaker's output format, which
  // stays the same for the backend's life).  Throws BackendError.
  virtual void open(const AudioFormat& format) = 0;
  virtual bool is_open() const = 0;
  // Frames per play() call that suit the output (a packet, a period).
  virtual std::size_t chunk_frames() const = 0;
  // Blocks until play() of `frames` would not block: until the output has
  // room for them, or a paced output is due for them.  A caller that
  // decides what to play at the last moment (disorder-playrtp) waits here
  // first.  By default returns at once.
  virtual void wait_ready(std::size_t /*frames*/) {}
  // Plays whole frames, blocking until they are accepted; paced against
  // real time by the backend.  Throws BackendError.
  virtual void play(std::span<const char> frames) = 0;
  // `frames` worth of time passes with no audio (an underrun, or a pause
  // with PauseStyle::silence).  By default plays zero samples.
  virtual void silence(std::size_t frames);
  virtual PauseStyle pause_style() const { return PauseStyle::suspend; }
  // PauseStyle::suspend only.
  virtual void pause() {}
  virtual void resume() {}
  // The play order ran out; play() may follow after any time.
  virtual void idle() {}
  // Audio accepted but not yet audible.
  virtual std::chrono::nanoseconds delay() const { return std::chrono::nanoseconds(0); }
  // Frames of time that the output skipped in all, because it was
  // held up past what it rides out while playing (an output on a timeline,
  // such as RTP, moves on with the clock): listeners hear silence there.
  virtual std::uint64_t skipped_frames() const { return 0; }
  // Release the output.  Never throws.
  virtual void close() = 0;

  // Hardware volume, 0..100 a side.  False when there is none (the speaker
  // then scales samples itself).
  virtual bool set_volume(int /*left*/, int /*right*/) { return false; }
  virtual std::optional<std::pair<int, int>> volume() { return std::nullopt; }

  // rtp_mode request: also send the stream to HOST PORT (numeric, so that
  // nothing blocks), as listener `key`, with the options the listener asked
  // for (rtp_listeners.hpp); a known key moves there.  Throws
  // Error for a bad address, too many listeners, or a backend that does
  // not stream on request.  remove_listener() of an unknown key does
  // nothing.
  virtual void add_listener(const std::string& /*key*/, const std::string& /*host*/,
                            const std::string& /*port*/, std::span<const std::string> /*options*/) {
    throw Error("this output does not send RTP on request");
  }
  virtual void remove_listener(const std::string& /*key*/) {}

  // RTP: the listeners' reports (RTCP receiver reports and their sync
  // figures) that the backend gathers while it is open, for the loop
  // thread to pass on to disorderd; null for a backend without listeners.
  // The queue lives as long as the backend.
  virtual ListenerReportQueue* listener_reports() { return nullptr; }

  // Makes a blocked play() give up (with BackendError) soon: the speaker is
  // shutting down.
  void abort() { aborting_.store(true, std::memory_order_release); }

protected:
  bool aborting() const { return aborting_.load(std::memory_order_acquire); }
  // For silence(): plays `frames` zero frames in pieces of chunk_frames(),
  // from a buffer made by open() with make_zeros().
  void play_zeros(std::size_t frames);
  void make_zeros(const AudioFormat& format, std::size_t chunk);
  std::size_t zeros_frames() const { return zeros_frames_; }

private:
  std::atomic<bool> aborting_{false};
  std::vector<char> zeros_;
  std::size_t zeros_frames_ = 0;
  std::size_t zeros_bpf_ = 1;
};

// Factories, one per backend file.  They read the configuration but do no
// I/O (open() does); they throw ConfigError for a configuration they cannot
// use.
std::unique_ptr<Backend> make_command_backend(const Config& config, const BackendOptions& options);
std::unique_ptr<Backend> make_rtp_backend(const Config& config, const BackendOptions& options);
std::unique_ptr<Backend> make_alsa_backend(const Config& config, const BackendOptions& options);
std::unique_ptr<Backend> make_ao_backend(const Config& config, const BackendOptions& options);

// The backend for config.effective_api() ("network" is already "rtp").
// Throws ConfigError for an api this build does not have.
std::unique_ptr<Backend> make_backend(const Config& config, const BackendOptions& options);

// The format the speaker produces for config (effective_sample_format()).
AudioFormat output_format(const Config& config);

} // namespace disorder
