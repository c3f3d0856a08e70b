// disorder-web's HTTP audio stream (audio_stream.hpp).
#include "web/audio_stream.hpp"

#include "error.hpp"
#include "log.hpp"
#include "web/icecast_source.hpp"
#include "web/mp3_encoder.hpp"
#include "web/ogg_opus_encoder.hpp"

#include <algorithm>

namespace disorder::web {

namespace {

using Clock = std::chrono::steady_clock;
// The kernel's send buffer of a listener's connection: small, so that a
// listener that falls behind shows in our own queue soon, not seconds of
// audio later.
constexpr int kSendBuffer = 32 * 1024;

} // namespace

// ------------------------------------------------------------ AudioStream

AudioStream::AudioStream(EventLoop& loop, StreamFormat format, std::function<void()> on_activity)
    : loop_(loop), format_(format), on_activity_(std::move(on_activity)) {}

AudioStream::~AudioStream() {
  *alive_ = false;
  for (auto& l : listeners_) {
    l->request->on_gone(nullptr);
    l->request->end();
  }
}

void AudioStream::ensure_encoder() {
  if (encoder_) return;
  if (format_ == StreamFormat::opus)
    encoder_ = std::make_unique<OggOpusEncoder>();
  else
    encoder_ = std::make_unique<Mp3Encoder>();
  std::vector<StreamUnit> ignored;
  encoder_->set_title(title_, ignored);
  if (icecast_) icecast_->send({}, encoder_->headers());
  if (on_activity_) on_activity_();
}

void AudioStream::set_icecast(IcecastSource* icecast) {
  icecast_ = icecast;
  ensure_encoder();
  icecast_->send({}, encoder_->headers());
  icecast_->set_title(title_);
}

void AudioStream::add_listener(const std::shared_ptr<HttpRequest>& request, bool icy) {
  ensure_encoder();
  request->add_header("Cache-Control", "no-store");
  request->add_header("X-Accel-Buffering", "no");
  if (icy) {
    request->add_header("icy-metaint", std::to_string(kIcyInterval));
    request->add_header("icy-name", "disorder");
  }
  request->start_stream(200, encoder_->content_type());
  request->limit_send_buffer(kSendBuffer);
  auto l = std::make_unique<Listener>();
  l->request = request;
  l->icy = icy;
  HttpRequest* raw = request.get();
  std::weak_ptr<bool> alive = alive_;
  request->on_gone([this, raw, alive] {
    if (alive.lock()) remove(raw);
  });
  for (const auto& h : encoder_->headers())
    write(*l, *h.bytes);
  listeners_.push_back(std::move(l));
}

void AudioStream::remove(HttpRequest* request) {
  listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                  [request](const auto& l) { return l->request.get() == request; }),
                   listeners_.end());
  maybe_stop();
}

void AudioStream::maybe_stop() {
  if (!listeners_.empty() || icecast_ || !encoder_) return;
  // Not from inside a listener's or the encoder's own call.
  std::weak_ptr<bool> alive = alive_;
  loop_.defer([this, alive] {
    if (!alive.lock() || !listeners_.empty() || icecast_ || !encoder_) return;
    encoder_.reset();
    pending_.clear();
    if (on_activity_) on_activity_();
  });
}

void AudioStream::write(Listener& l, const std::string& bytes) {
  if (!l.icy) return l.request->send(bytes);
  // ICY: a metadata block after every kIcyInterval bytes of audio, counted
  // per listener over what it was actually sent.
  std::string out;
  out.reserve(bytes.size() + 64);
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = std::min(l.until_meta, bytes.size() - pos);
    out.append(bytes, pos, n);
    pos += n;
    l.until_meta -= n;
    if (l.until_meta == 0) {
      const std::string line = title_.line();
      if (line != l.sent_title) {
        out += icy_metadata(line);
        l.sent_title = line;
      } else {
        out.push_back('\0');
      }
      l.until_meta = kIcyInterval;
    }
  }
  l.request->send(out);
}

bool AudioStream::deliver(Listener& l, const StreamUnit& unit, Clock::time_point now,
                          std::string& out) {
  if (l.request->gone()) return false;
  if (!unit.header && l.request->backlog() + out.size() > kMaxBacklog) {
    if (!l.behind_since) {
      l.behind_since = now;
      // Once per listener: one that keeps falling behind says so once.
      if (l.skipped == 0)
        log_info("audio stream listener " + l.request->peer() + " falls behind: skipping");
    }
    ++l.skipped;
    return now - *l.behind_since < kDropAfter;
  }
  if (l.behind_since && !l.caught_up_logged) {
    l.caught_up_logged = true;
    log_info("audio stream listener " + l.request->peer() + " caught up (" +
             std::to_string(l.skipped) + " units skipped)");
  }
  l.behind_since.reset();
  out += *unit.bytes;
  return true;
}

void AudioStream::publish(Clock::time_point now) {
  published_ = now;
  if (pending_.empty()) return;
  if (icecast_) icecast_->send(pending_, encoder_->headers());
  std::vector<std::shared_ptr<HttpRequest>> dropped;
  for (auto& l : listeners_) {
    bool keep = true;
    out_.clear();
    for (const auto& u : pending_)
      if (!(keep = deliver(*l, u, now, out_))) break;
    if (keep && !out_.empty()) write(*l, out_);
    if (!keep) dropped.push_back(l->request);
  }
  pending_.clear();
  for (auto& r : dropped) {
    log_info("audio stream listener " + r->peer() + " dropped: it stopped reading");
    r->on_gone(nullptr);
    remove(r.get());
    r->end();
  }
}

void AudioStream::audio(std::span<const int16_t> frames) {
  if (!encoder_) return;
  encoder_->encode(frames, pending_);
  const auto now = Clock::now();
  if (now - published_ >= kBatch) publish(now);
}

void AudioStream::title(const TrackTitle& title) {
  title_ = title;
  if (icecast_ && format_ == StreamFormat::mp3) icecast_->set_title(title);
  if (!encoder_) return;
  encoder_->set_title(title, pending_);
  publish(Clock::now());
}

// ------------------------------------------------------------ AudioStreams

AudioStreams::AudioStreams(EventLoop& loop, const Config& config)
    : loop_(loop), config_(config), opus_(loop, StreamFormat::opus, [this] { update(); }),
      mp3_(loop, StreamFormat::mp3, [this] { update(); }) {
  // Once the loop runs: by then disorder-web has given up root, which
  // (setuid() signals every thread) would interrupt the Icecast thread's
  // first connection.
  if (config_.web_icecast)
    loop_.defer([this] {
      const IcecastTarget& t = *config_.web_icecast;
      icecast_ = std::make_unique<IcecastSource>(t);
      (t.format == "opus" ? opus_ : mp3_).set_icecast(icecast_.get());
    });
}

AudioStreams::~AudioStreams() {
  source_.reset();
}

void AudioStreams::update() {
  const bool needed = opus_.active() || mp3_.active();
  if (needed && !source_) {
    source_ = std::make_unique<StreamSource>(
        loop_, config_,
        [this](std::span<const int16_t> frames) {
          opus_.audio(frames);
          mp3_.audio(frames);
        },
        [this](const TrackTitle& t) { title(t); });
  } else if (!needed && source_) {
    source_.reset();
  }
}

void AudioStreams::title(const TrackTitle& t) {
  if (t == title_) return;
  title_ = t;
  opus_.title(t);
  mp3_.title(t);
}

void AudioStreams::serve(const std::shared_ptr<HttpRequest>& request, StreamFormat format) {
  const char* type = format == StreamFormat::opus ? "audio/ogg" : "audio/mpeg";
  const size_t limit = static_cast<size_t>(config_.web_stream_listeners);
  if (limit == 0) {
    request->add_header("Cache-Control", "no-store");
    return request->reply(404, "application/json; charset=utf-8",
                          "{\"error\":\"the audio stream is not enabled here "
                          "(web_stream_listeners 0)\"}");
  }
  if (listeners() >= limit) {
    request->add_header("Retry-After", "30");
    request->add_header("Cache-Control", "no-store");
    return request->reply(503, "application/json; charset=utf-8",
                          "{\"error\":\"the audio stream has its " + std::to_string(limit) +
                              " listeners (web_stream_listeners): try again later\"}");
  }
  if (request->method() == "HEAD") {
    request->add_header("Cache-Control", "no-store");
    return request->reply(200, type, "");
  }
  const bool icy = request->header("Icy-MetaData").value_or("") == "1";
  try {
    (format == StreamFormat::opus ? opus_ : mp3_).add_listener(request, icy);
  } catch (const std::exception& e) {
    log_error(std::string("audio stream: ") + e.what());
    request->reply(500, "application/json; charset=utf-8",
                   "{\"error\":\"the audio stream could not start\"}");
  }
}

} // namespace disorder::web
