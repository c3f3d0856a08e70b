// The audio thread's loop: open the output, pause, fill a chunk from the
// play order, play it, report.
#include "audio_thread.hpp"

#include "audio/converter.hpp"
#include "audio/pacer.hpp"
#include "error.hpp"
#include "log.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace disorder {

namespace {
// After an output error the output is opened again at once if it had
// been working for longer than this; otherwise after retry_.delay().
constexpr std::int64_t kQuickRetryAfterNs = 2'000'000'000;
} // namespace

AudioThread::AudioThread(Backend& backend, const AudioFormat& format, bool realtime)
    : backend_(backend), format_(format), bpf_(format.bytes_per_frame()), realtime_(realtime),
      event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!event_fd_) throw_errno("eventfd");
}

AudioThread::~AudioThread() {
  stop();
}

void AudioThread::start() {
  // Signals are for the loop thread: block them all here and let the new
  // thread inherit the mask.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void AudioThread::stop() {
  if (!thread_.joinable()) return;
  quit_.store(true, std::memory_order_release);
  backend_.abort();
  wake();
  thread_.join();
}

bool AudioThread::enqueue(SharedTrack* track) {
  if (!incoming_.push(track)) return false;
  wake();
  return true;
}

void AudioThread::wake() {
  wake_.fetch_add(1, std::memory_order_acq_rel);
  wake_.notify_one();
}

void AudioThread::set_paused(bool paused) {
  paused_.store(paused, std::memory_order_release);
  wake();
}

void AudioThread::set_gain(std::uint32_t left, std::uint32_t right) {
  gain_left_.store(left, std::memory_order_relaxed);
  gain_right_.store(right, std::memory_order_relaxed);
}

std::string AudioThread::last_error() {
  std::lock_guard lock(error_mutex_);
  return error_text_;
}

void AudioThread::wait_for_wake(std::uint32_t seen) {
  wake_.wait(seen, std::memory_order_acquire);
}

void AudioThread::nap(int ms) {
  const std::uint32_t seen = wake_.load(std::memory_order_acquire);
  for (int waited = 0; waited < ms && !quit_.load(std::memory_order_acquire); waited += 50) {
    if (wake_.load(std::memory_order_acquire) != seen) return;
    timespec ts{0, 50'000'000};
    ::nanosleep(&ts, nullptr);
  }
}

void AudioThread::signal_loop() {
  const std::uint64_t one = 1;
  // EAGAIN (the counter is saturated) still leaves it readable: fine.
  [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
}

void AudioThread::post(const AudioEvent& event) {
  // The loop thread drains the queue on every wake-up, so it is only full
  // if that thread is stuck; waiting is then all we can do (dropping a
  // finished or space event would stall the play order).
  while (!events_.push(event)) {
    signal_loop();
    timespec ts{0, 1'000'000};
    ::nanosleep(&ts, nullptr);
  }
}

void AudioThread::note(AudioEvent::Kind kind, SharedTrack* track, std::uint64_t value) {
  if (local_count_ == kLocalEvents) flush_events();
  local_[local_count_++] = AudioEvent{kind, track, value};
}

void AudioThread::flush_events() {
  if (local_count_ == 0) return;
  for (std::size_t i = 0; i < local_count_; ++i)
    post(local_[i]);
  local_count_ = 0;
  signal_loop();
}

void AudioThread::output_failed(const std::string& why) {
  // An output that worked for a while (a command that exited, a device
  // that went away) is tried again at once; one that keeps failing (no
  // sound card) less and less often.  The same reason is reported once.
  const bool worked =
      !retry_.failing() && opened_ns_ != 0 && monotonic_ns() - opened_ns_ > kQuickRetryAfterNs;
  opened_ns_ = 0;
  // Error path: allocation and a lock are fine here.
  if (retry_.failed(why)) {
    {
      std::lock_guard lock(error_mutex_);
      error_text_ = why + "; " + retry_.describe() +
                    "; tracks wait until it works (see api and device in disorder_config(5))";
    }
    post(AudioEvent{AudioEvent::Kind::error, nullptr, 0});
    signal_loop();
  }
  backend_.close();
  if (!worked) nap(static_cast<int>(retry_.delay().count()));
}

std::size_t AudioThread::fill(std::size_t frames) {
  std::size_t got = 0;
  while (got < frames) {
    if (!current_ && !incoming_.pop(current_)) break;
    SharedTrack* t = current_;
    if (t->cancelled.load(std::memory_order_acquire)) {
      note(AudioEvent::Kind::released, t);
      current_ = nullptr;
      continue;
    }
    // Loaded before reading: if it was already set, an empty buffer after
    // the read really is the end.
    const bool done = t->input_done.load(std::memory_order_acquire);
    // A track starts once a start's worth is buffered (or all of it): a
    // decoder just started, on a busy machine, could otherwise fall behind
    // in the first moments and leave a gap early in the track.  Silence
    // meanwhile, as for an under-run.
    if (!t->started && !done && t->buffer.available_frames() < start_frames(*t)) break;
    const std::size_t n = t->buffer.read(chunk_.data() + got * bpf_, frames - got);
    if (n > 0) {
      if (!t->started) {
        t->started = true;
        t->next_progress = format_.rate;
        note(AudioEvent::Kind::started, t);
      }
      t->frames_played += n;
      got += n;
      if (t->frames_played >= t->next_progress) {
        note(AudioEvent::Kind::progress, t, t->frames_played / format_.rate);
        t->next_progress += format_.rate;
      }
      if (t->producer_waiting.load(std::memory_order_acquire) &&
          t->buffer.free_frames() >= t->buffer.capacity_frames() / 2 &&
          t->producer_waiting.exchange(false, std::memory_order_acq_rel))
        note(AudioEvent::Kind::space, t);
    }
    if (done && t->buffer.available_frames() == 0) {
      if (!t->started) note(AudioEvent::Kind::started, t);
      note(AudioEvent::Kind::finished, t);
      current_ = nullptr;
      continue;
    }
    if (n == 0 || got < frames) {
      // Under-run: the decoder is behind, and silence fills the rest.
      if (t->started) {
        if (!in_gap_) ++t->gaps;
        t->gap_frames += frames - got;
        in_gap_ = true;
      }
      break;
    }
  }
  if (got == frames) in_gap_ = false;
  if (got > 0) {
    const std::uint32_t l = gain_left_.load(std::memory_order_relaxed);
    const std::uint32_t r = gain_right_.load(std::memory_order_relaxed);
    apply_gain(std::span<char>(chunk_.data(), got * bpf_), format_, l, r);
  }
  return got;
}

void AudioThread::run() {
  pthread_setname_np(pthread_self(), "audio");
  if (realtime_) request_realtime_priority();
  bool suspended = false; // backend paused with PauseStyle::suspend
  bool idle = true;
  std::size_t pending = 0; // frames in chunk_ that a failed play() did not take
  while (!quit_.load(std::memory_order_acquire)) {
    const std::uint32_t seen = wake_.load(std::memory_order_acquire);
    if (!backend_.is_open()) {
      try {
        backend_.open(format_);
        const std::size_t need = backend_.chunk_frames() * bpf_;
        if (chunk_.size() < need) chunk_.resize(need); // first open only, in practice
        suspended = false;
        opened_ns_ = monotonic_ns();
      } catch (const Error& e) {
        output_failed(e.what());
        continue;
      }
    }
    const std::size_t chunk = backend_.chunk_frames();
    try {
      if (paused_.load(std::memory_order_acquire)) {
        // A cancelled track is let go of now rather than at resume.
        if (current_ && current_->cancelled.load(std::memory_order_acquire)) {
          note(AudioEvent::Kind::released, current_);
          current_ = nullptr;
          flush_events();
        }
        if (backend_.pause_style() == Backend::PauseStyle::silence) {
          backend_.silence(chunk);
          continue;
        }
        if (!suspended) {
          backend_.pause();
          suspended = true;
        }
        wait_for_wake(seen);
        continue;
      }
      if (suspended) {
        backend_.resume();
        suspended = false;
      }
      // The track whose frames begin the chunk.
      SharedTrack* owner = current_;
      const std::size_t got = pending ? pending : fill(chunk);
      if (!owner) owner = current_;
      pending = got;
      if (got == 0) {
        flush_events();
        if (current_) {
          backend_.silence(chunk); // the decoder has not caught up yet
          continue;
        }
        if (!idle) {
          backend_.idle();
          idle = true;
        }
        wait_for_wake(seen);
        continue;
      }
      idle = false;
      backend_.play(std::span<const char>(chunk_.data(), got * bpf_));
      pending = 0;
      // Before flush_events(): the loop thread reads the counts at `finished`.
      if (const std::uint64_t skipped = backend_.skipped_frames(); skipped != skipped_seen_) {
        if (owner && owner->started) {
          ++owner->skips;
          owner->skipped_frames += skipped - skipped_seen_;
        }
        skipped_seen_ = skipped;
      }
      if (retry_.failing()) {
        retry_.succeeded();
        note(AudioEvent::Kind::recovered, nullptr);
      }
      flush_events();
      if (got < chunk && current_) backend_.silence(chunk - got);
    } catch (const Error& e) {
      if (quit_.load(std::memory_order_acquire)) break;
      output_failed(e.what());
    }
  }
  flush_events();
  backend_.close();
}

} // namespace disorder
