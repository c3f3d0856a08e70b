// The speaker's audio thread: takes tracks in play order, drains each
// one's TrackBuffer into the backend back to back (the next track's first
// frame follows the last one's in the same chunk), applies the software
// volume, and reports what happened to the loop thread.
//
// Threads and hand-over: the loop thread owns every Track; it passes a
// pointer through an SpscQueue (enqueue()) and may free the track only
// after the audio thread reports finished or released for it.  Flags
// (pause, quit, cancel, gain) are atomics; the loop thread wakes the audio
// thread with a futex (std::atomic::wait/notify) when it is idle or
// suspended, and the audio thread wakes the loop thread with an eventfd
// after queueing events.  In the steady state the audio thread neither
// allocates nor takes a lock.
#pragma once

#include "audio/backend.hpp"
#include "audio/output_retry.hpp"
#include "audio_format.hpp"
#include "fd.hpp"
#include "track_buffer.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace disorder {

// The part of a track that both threads use.  Speaker's Track extends it
// with what only the loop thread touches.
struct SharedTrack {
  SharedTrack(std::string track_id, std::size_t capacity_frames, std::size_t bytes_per_frame)
      : id(std::move(track_id)), buffer(capacity_frames, bytes_per_frame) {}
  SharedTrack(const SharedTrack&) = delete;
  SharedTrack& operator=(const SharedTrack&) = delete;
  virtual ~SharedTrack() = default;

  const std::string id;
  TrackBuffer buffer; // loop thread writes, audio thread reads
  // Loop thread sets, after its last write to buffer: no more frames.
  std::atomic<bool> input_done{false};
  // Loop thread sets: drop the track now, unplayed remainder and all.
  std::atomic<bool> cancelled{false};
  // Loop thread sets when it stopped reading for want of room; the audio
  // thread clears it and reports `space` once half the buffer is free.
  std::atomic<bool> producer_waiting{false};

  // Audio thread only.
  bool started = false;
  std::uint64_t frames_played = 0;
  std::uint64_t next_progress = 0; // frames_played at the next progress report
  // Once started, how often and for how long its buffer ran dry before its
  // end (the decoder fell behind) and silence played instead.  Read by the
  // loop thread after `finished`.
  std::uint64_t gap_frames = 0;
  std::uint32_t gaps = 0;
  // How often and by how much the output skipped ahead on its timeline
  // while it played (Backend::skipped_frames(): the speaker was held up).
  std::uint64_t skipped_frames = 0;
  std::uint32_t skips = 0;
};

struct AudioEvent {
  enum class Kind : std::uint8_t {
    started,  // track's first frame went to the backend
    progress, // value = whole seconds played
    finished, // track's last frame went to the backend; the track is released
    released, // a cancelled track is no longer used by the audio thread
    space,    // track's buffer has room again (see producer_waiting)
    error,    // the output failed: last_error() says why; retrying (again
              // only when the reason changes)
    recovered // audio reaches the output again after an error
  };
  Kind kind = Kind::started;
  SharedTrack* track = nullptr;
  std::uint64_t value = 0;
};

class AudioThread {
public:
  // backend and format outlive the thread; format is the output format.
  // With realtime, the thread asks for real-time scheduling
  // (request_realtime_priority(); else it runs as it is), so that it keeps
  // time on a busy machine.
  AudioThread(Backend& backend, const AudioFormat& format, bool realtime = true);
  AudioThread(const AudioThread&) = delete;
  AudioThread& operator=(const AudioThread&) = delete;
  ~AudioThread(); // stop()

  // Starts the thread, which blocks every signal.
  void start();
  // Asks the thread to finish, waits for it, and closes the backend.
  void stop();

  // --- loop thread
  // Appends a track to the play order; false if the queue is full (try
  // again after the next finished/released event).
  bool enqueue(SharedTrack* track);
  // After setting track->cancelled.
  void wake();
  void set_paused(bool paused);
  // Q16 gains (volume_to_gain()).
  void set_gain(std::uint32_t left, std::uint32_t right);
  // Readable when events are queued; read it (8 bytes) then pop_event()
  // until it returns false.
  int event_fd() const { return event_fd_.get(); }
  bool pop_event(AudioEvent& event) { return events_.pop(event); }
  std::string last_error();

private:
  static constexpr std::size_t kQueueSize = 64;
  static constexpr std::size_t kEventQueueSize = 4096;
  static constexpr std::size_t kLocalEvents = 32;
  static constexpr double kStartSeconds = 0.5;

  void run();
  // Fills up to `frames` frames from the play order into chunk_; returns
  // how many.  Events go to local_ until the chunk has been played.
  std::size_t fill(std::size_t frames);
  // How much of a track must be buffered before it starts: kStartSeconds,
  // or half its buffer if that is less.
  std::size_t start_frames(const SharedTrack& track) const {
    return std::min(static_cast<std::size_t>(format_.rate * kStartSeconds),
                    track.buffer.capacity_frames() / 2);
  }
  void note(AudioEvent::Kind kind, SharedTrack* track, std::uint64_t value = 0);
  void post(const AudioEvent& event); // straight to the loop thread
  void flush_events();
  void signal_loop();
  void output_failed(const std::string& why);
  // Sleeps up to `ms` milliseconds, less if woken.
  void nap(int ms);
  void wait_for_wake(std::uint32_t seen);

  Backend& backend_;
  const AudioFormat format_;
  const std::size_t bpf_;
  const bool realtime_;
  std::thread thread_;
  Fd event_fd_;

  SpscQueue<SharedTrack*, kQueueSize> incoming_;
  SpscQueue<AudioEvent, kEventQueueSize> events_;
  std::atomic<std::uint32_t> wake_{0};
  std::atomic<bool> quit_{false};
  std::atomic<bool> paused_{false};
  std::atomic<std::uint32_t> gain_left_{65536}, gain_right_{65536};

  // Audio thread only.
  SharedTrack* current_ = nullptr;
  std::vector<char> chunk_;
  bool in_gap_ = false;            // the last fill() ran short of a started track's frames
  std::uint64_t skipped_seen_ = 0; // backend_.skipped_frames() when last looked at
  AudioEvent local_[kLocalEvents];
  std::size_t local_count_ = 0;
  // Failing: an error was reported and play() has not worked since.
  // Retries back off from 1 s to 30 s; a new track wakes the thread, and
  // so brings the next one forward.
  OutputRetry retry_;
  std::int64_t opened_ns_ = 0; // when the backend was last opened (monotonic)

  std::mutex error_mutex_; // error paths only
  std::string error_text_;
};

} // namespace disorder
