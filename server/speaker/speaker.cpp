// The speaker's control messages, play order and per-track reading.
#include "speaker.hpp"

#include "error.hpp"
#include "log.hpp"
#include "speaker_protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <event2/event.h>
#include <unistd.h>

namespace disorder {

namespace {

// Upper bound on one track's buffer, whatever the output format.
constexpr std::size_t kMaxBufferBytes = 8 << 20;
// Bytes per read() from a decoder pipe, and reads per callback, so that a
// fast decoder cannot keep the loop from the control channel for long.
constexpr std::size_t kReadSize = 64 << 10;
constexpr int kReadsPerCallback = 8;
constexpr std::size_t kScratchBytes = 64 << 10;

std::optional<int> parse_volume(const std::string& s) {
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int v = std::stoi(s);
  if (v > 100) return std::nullopt;
  return v;
}

} // namespace

// A track as the loop thread sees it.
struct Speaker::Track : SharedTrack {
  using SharedTrack::SharedTrack;

  Fd pipe;
  std::unique_ptr<Event> read_event; // EV_READ on pipe, armed while waiting for input
  RawStreamReader reader;
  Converter converter;
  std::vector<char> input; // the last read from the pipe
  std::size_t input_begin = 0, input_end = 0;
  std::string_view pcm;                   // PCM the converter has yet to take
  std::optional<AudioFormat> next_format; // configure after draining
  bool draining = false;                  // emptying the resampler
  bool eof = false;                       // nothing more from the pipe
  bool played = false;                    // `play` received
  bool handed_over = false;               // the audio thread holds a pointer
  std::string failure;                    // why the stream was bad, if it was

  void close_pipe() {
    read_event.reset();
    pipe.reset();
  }
};

Speaker::Speaker(EventLoop& loop, int control_fd, Backend& backend, AudioThread& audio,
                 const AudioFormat& format, Options options)
    : loop_(loop), control_fd_(control_fd), backend_(backend), audio_(audio), format_(format),
      capacity_frames_(std::max<std::size_t>(
          1, std::min<std::size_t>(static_cast<std::size_t>(options.buffer_seconds * format.rate),
                                   kMaxBufferBytes / format.bytes_per_frame()))),
      scratch_(kScratchBytes - kScratchBytes % format.bytes_per_frame()) {
  control_event_ =
      Event::io(loop_, control_fd_, EV_READ | EV_PERSIST, [this](short) { on_control(); });
  control_event_->add();
  audio_event_ = Event::io(loop_, audio_.event_fd(), EV_READ | EV_PERSIST,
                           [this](short) { on_audio_events(); });
  audio_event_->add();
  if (ListenerReportQueue* reports = backend_.listener_reports()) {
    listener_event_ = Event::io(loop_, reports->fd(), EV_READ | EV_PERSIST,
                                [this](short) { on_listener_reports(); });
    listener_event_->add();
  }
}

Speaker::~Speaker() {
  // The audio thread holds pointers to tracks: it goes first.
  audio_.stop();
}

// ------------------------------------------------------------ control channel

void Speaker::on_control() {
  std::optional<SpeakerMessage> m;
  try {
    m = receive_speaker_message(control_fd_);
  } catch (const SyntaxError& e) {
    log_error(std::string("bad message from disorderd: ") + e.what());
    return;
  } catch (const SystemError& e) {
    // ECONNRESET: disorderd closed its end with our reports unread.
    if (e.code() == ECONNRESET)
      log_debug("control channel reset: exiting");
    else
      log_error(e.what());
    loop_.stop();
    return;
  } catch (const Error& e) {
    log_error(e.what());
    loop_.stop();
    return;
  }
  if (!m) {
    log_debug("control channel closed: exiting");
    loop_.stop();
    return;
  }
  try {
    handle(m->fields, std::move(m->fd));
  } catch (const Error& e) {
    log_error(std::string("handling ") + m->fields[0] + ": " + e.what());
  }
}

void Speaker::send(const std::vector<std::string>& fields) {
  try {
    send_speaker_message(control_fd_, fields);
  } catch (const Error& e) {
    log_error(e.what());
    loop_.stop();
  }
}

void Speaker::handle(std::vector<std::string>& f, Fd fd) {
  const std::string& cmd = f[0];
  auto want = [&](std::size_t n) {
    if (f.size() != n + 1)
      throw SyntaxError(cmd + " takes " + std::to_string(n) + " argument(s), not " +
                        std::to_string(f.size() - 1));
  };
  if (log_debug_enabled()) {
    std::string line = "<- " + cmd;
    for (std::size_t i = 1; i < f.size(); ++i)
      line += " " + f[i];
    log_debug(line);
  }
  if (cmd == "hello") {
    want(1);
    if (f[1] != std::to_string(kSpeakerProtocolVersion)) {
      send({"error", "unsupported speaker protocol version " + f[1] + " (this speaker speaks " +
                         std::to_string(kSpeakerProtocolVersion) + ")"});
      log_error("disorderd speaks speaker protocol " + f[1] + ", not " +
                std::to_string(kSpeakerProtocolVersion));
      exit_status_ = 1;
      loop_.stop();
      return;
    }
    hello_ = true;
    send({"hello", std::to_string(kSpeakerProtocolVersion)});
    send_volume();
  } else if (cmd == "prepare") {
    want(1);
    if (!fd) throw SyntaxError("prepare " + f[1] + " carries no file descriptor");
    prepare(f[1], std::move(fd));
  } else if (cmd == "play") {
    want(1);
    play(f[1]);
  } else if (cmd == "cancel") {
    want(1);
    cancel(f[1]);
  } else if (cmd == "pause") {
    want(0);
    audio_.set_paused(true);
    send({"paused"});
  } else if (cmd == "resume") {
    want(0);
    audio_.set_paused(false);
    send({"resumed"});
  } else if (cmd == "volume") {
    want(2);
    const auto l = parse_volume(f[1]), r = parse_volume(f[2]);
    if (!l || !r) throw SyntaxError("volume " + f[1] + " " + f[2] + " is not two numbers 0..100");
    set_volume(*l, *r);
  } else if (cmd == "rtp-add") {
    // KEY ADDRESS PORT, then the listener's options (rtp_listeners.hpp).
    if (f.size() < 4) throw SyntaxError("rtp-add needs KEY ADDRESS PORT");
    backend_.add_listener(f[1], f[2], f[3], std::span<const std::string>(f).subspan(4));
  } else if (cmd == "rtp-remove") {
    want(1);
    backend_.remove_listener(f[1]);
  } else if (cmd == "quit") {
    loop_.stop();
  } else {
    throw SyntaxError("unknown message");
  }
}

void Speaker::send_volume() {
  int l = volume_left_, r = volume_right_;
  if (auto hw = backend_.volume()) std::tie(l, r) = *hw;
  send({"volume", std::to_string(l), std::to_string(r)});
}

void Speaker::set_volume(int left, int right) {
  if (backend_.set_volume(left, right)) {
    audio_.set_gain(volume_to_gain(100), volume_to_gain(100));
  } else {
    volume_left_ = left;
    volume_right_ = right;
    audio_.set_gain(volume_to_gain(left), volume_to_gain(right));
  }
  send_volume();
}

// --------------------------------------------------------------------- tracks

Speaker::Track* Speaker::find(const std::string& id) {
  auto it = tracks_.find(id);
  return it == tracks_.end() ? nullptr : it->second.get();
}

void Speaker::prepare(const std::string& id, Fd fd) {
  if (find(id)) throw Error("track " + id + " is already prepared");
  auto owned = std::make_unique<Track>(id, capacity_frames_, format_.bytes_per_frame());
  Track& t = *owned;
  set_nonblocking(fd.get());
  t.pipe = std::move(fd);
  t.input.resize(kReadSize);
  t.read_event =
      Event::io(loop_, t.pipe.get(), EV_READ | EV_PERSIST, [this, &t](short) { pump(t); });
  tracks_.emplace(id, std::move(owned));
  pump(t);
}

void Speaker::play(const std::string& id) {
  Track* t = find(id);
  if (!t) {
    log_error("play " + id + ": no such track prepared");
    send({"failed", id, "not prepared"});
    return;
  }
  if (t->played) return;
  t->played = true;
  waiting_.push_back(t);
  hand_over();
}

void Speaker::hand_over() {
  while (!waiting_.empty() && audio_.enqueue(waiting_.front())) {
    waiting_.front()->handed_over = true;
    waiting_.pop_front();
  }
}

void Speaker::cancel(const std::string& id) {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return; // already finished, or never prepared
  Track* t = it->second.get();
  // Closing the pipe at once: the decoder gets EPIPE and stops.
  t->close_pipe();
  if (!t->handed_over) {
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), t), waiting_.end());
    tracks_.erase(it);
    return;
  }
  t->cancelled.store(true, std::memory_order_release);
  cancelled_.push_back(std::move(it->second));
  tracks_.erase(it);
  audio_.wake();
}

void Speaker::destroy(Track* t) {
  auto c = std::find_if(cancelled_.begin(), cancelled_.end(),
                        [t](const auto& p) { return p.get() == t; });
  if (c != cancelled_.end()) {
    cancelled_.erase(c);
    return;
  }
  auto it = tracks_.find(t->id);
  if (it != tracks_.end() && it->second.get() == t) tracks_.erase(it);
}

void Speaker::on_audio_events() {
  std::uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(audio_.event_fd(), &count, sizeof count);
  AudioEvent e;
  while (audio_.pop_event(e)) {
    auto* t = static_cast<Track*>(e.track);
    const bool quiet = t && t->cancelled.load(std::memory_order_relaxed);
    switch (e.kind) {
    case AudioEvent::Kind::started:
      if (!quiet) send({"started", t->id});
      break;
    case AudioEvent::Kind::progress:
      if (!quiet) send({"progress", t->id, std::to_string(e.value)});
      break;
    case AudioEvent::Kind::finished:
      if (t->gaps)
        log_warning(t->id + ": " + std::to_string(t->gaps) + " gap" + (t->gaps == 1 ? "" : "s") +
                    " of silence, " + std::to_string(t->gap_frames * 1000 / format_.rate) +
                    " ms in all: its decoder fell behind");
      if (t->skips)
        log_warning(t->id + ": skipped " + std::to_string(t->skipped_frames * 1000 / format_.rate) +
                    " ms of the stream in " + std::to_string(t->skips) + " place" +
                    (t->skips == 1 ? "" : "s") +
                    ": the speaker was held up, and listeners heard silence there");
      if (!quiet) {
        if (t->failure.empty())
          send({"finished", t->id});
        else
          send({"failed", t->id, t->failure});
      }
      destroy(t);
      hand_over();
      break;
    case AudioEvent::Kind::released:
      destroy(t);
      hand_over();
      break;
    case AudioEvent::Kind::space:
      if (!quiet) pump(*t);
      break;
    case AudioEvent::Kind::error: {
      // disorderd logs it, with what it means for the queue.
      const std::string why = audio_.last_error();
      log_debug("audio output unavailable: " + why);
      send({"error", why});
      break;
    }
    case AudioEvent::Kind::recovered:
      log_debug("audio output working again");
      send({"recovered"});
      break;
    }
  }
}

void Speaker::on_listener_reports() {
  if (!backend_.listener_reports()->take(listener_reports_)) return;
  // Before hello disorderd would not expect them; they come again.
  if (!hello_) return;
  for (const ListenerReport& r : listener_reports_) {
    std::vector<std::string> fields{"listener"};
    fields.insert(fields.end(), r.begin(), r.end());
    send(fields);
  }
}

// ----------------------------------------------------------- reading a track

void Speaker::wait_for_space(Track& t) {
  // The audio thread reports `space` when half the buffer is free; until
  // then the pipe is left alone and the decoder blocks.
  if (t.read_event) t.read_event->remove();
  t.producer_waiting.store(true, std::memory_order_release);
}

void Speaker::stop_input(Track& t, const std::string& failure, bool keep_converted) {
  if (t.failure.empty()) t.failure = failure;
  t.pcm = {};
  t.input_begin = t.input_end = 0;
  t.eof = true;
  t.close_pipe();
  // What the resampler holds is still played, unless it is what failed.
  t.draining = keep_converted && t.converter.configured();
  t.next_format.reset();
}

void Speaker::pump(Track& t) {
  // Called from libevent: nothing may escape.
  try {
    read_track(t);
  } catch (const std::exception& e) {
    stop_input(t, e.what(), false);
    end_input(t);
  }
}

void Speaker::end_input(Track& t) {
  if (!t.failure.empty()) log_error("track " + t.id + ": " + t.failure);
  t.close_pipe();
  t.input_done.store(true, std::memory_order_release);
  // The audio thread may be waiting for this track: it polls while a track
  // under-runs, so no wake-up is needed.
}

void Speaker::read_track(Track& t) {
  const std::size_t bpf = format_.bytes_per_frame();
  int reads = 0;
  for (;;) {
    if (t.input_done.load(std::memory_order_relaxed) || t.cancelled.load(std::memory_order_relaxed))
      return;
    const std::size_t room = std::min(t.buffer.free_frames(), scratch_.size() / bpf);
    const std::span<char> out(scratch_.data(), room * bpf);
    if (!t.pcm.empty() || t.draining) {
      if (room == 0) {
        wait_for_space(t);
        return;
      }
      std::size_t produced;
      bool progress;
      try {
        if (!t.pcm.empty()) {
          const Converter::Result r = t.converter.convert(t.pcm, out);
          t.pcm.remove_prefix(r.consumed);
          produced = r.produced;
          progress = r.consumed || r.produced;
        } else {
          produced = t.converter.drain(out);
          progress = true;
          if (produced == 0) {
            t.draining = false;
            if (t.next_format) t.converter.configure(*t.next_format, format_);
            t.next_format.reset();
          }
        }
      } catch (const Error& e) {
        stop_input(t, e.what(), false);
        continue;
      }
      if (produced) t.buffer.write(scratch_.data(), produced / bpf);
      if (!progress) {
        wait_for_space(t); // the resampler wants more room than there is
        return;
      }
      continue;
    }
    if (t.input_begin < t.input_end) {
      RawStreamReader::Event e;
      try {
        e = t.reader.next(
            std::string_view(t.input.data() + t.input_begin, t.input_end - t.input_begin));
      } catch (const SyntaxError& err) {
        // Play what arrived, then report the track failed.
        stop_input(t, std::string("bad raw stream: ") + err.what(), true);
        continue;
      }
      t.input_begin += e.consumed;
      if (e.kind == RawStreamReader::Event::Kind::header) {
        if (!t.converter.configured()) {
          try {
            t.converter.configure(e.header.format, format_);
          } catch (const Error& err) {
            stop_input(t, err.what(), false);
          }
        } else if (e.header.format != t.converter.input_format()) {
          t.next_format = e.header.format;
          t.draining = true;
        }
      } else if (e.kind == RawStreamReader::Event::Kind::pcm) {
        t.pcm = e.pcm;
      }
      continue;
    }
    if (t.eof) {
      end_input(t);
      return;
    }
    if (reads == kReadsPerCallback) {
      if (!t.read_event->pending()) t.read_event->add();
      return; // the (level-triggered) read event brings us back
    }
    const ssize_t n = ::read(t.pipe.get(), t.input.data(), t.input.size());
    if (n > 0) {
      ++reads;
      t.input_begin = 0;
      t.input_end = static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!t.read_event->pending()) t.read_event->add();
      return;
    }
    if (n < 0)
      stop_input(t, std::string("reading the decoder's pipe: ") + std::strerror(errno), true);
    else
      stop_input(t,
                 t.reader.at_boundary() ? "" : "the raw stream ended inside a segment (truncated)",
                 true);
  }
}

} // namespace disorder
