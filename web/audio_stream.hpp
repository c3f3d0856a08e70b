// disorder-web's HTTP audio stream: one encoder per format (Ogg Opus at
// /stream.opus, MP3 at /stream.mp3) shared by all its listeners, started
// on the first listener and stopped after the last (or kept while an
// Icecast mount takes that format), fed by one StreamSource.  Each listener
// has a bounded queue (its connection's buffers): one that falls behind
// skips whole units (Ogg pages, MP3 frames) and is dropped if it stays
// behind, so that it never slows the others or the encoder.  What the
// encoder makes is passed on every kBatch (and at once on a new title),
// in one write to each listener.  Loop thread only (the Icecast source has
// its own thread).
#pragma once

#include "config.hpp"
#include "event_loop.hpp"
#include "web/http_server.hpp"
#include "web/stream_encoder.hpp"
#include "web/stream_source.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace disorder::web {

class IcecastSource;

enum class StreamFormat { opus, mp3 };

// One format's encoder and listeners.
class AudioStream {
public:
  // on_activity: the stream started or stopped needing audio.
  AudioStream(EventLoop& loop, StreamFormat format, std::function<void()> on_activity);
  AudioStream(const AudioStream&) = delete;
  AudioStream& operator=(const AudioStream&) = delete;
  ~AudioStream();

  // Starts the stream's reply on `request` (icy: the client asked for ICY
  // metadata).  Throws Error if the encoder cannot be started.
  void add_listener(const std::shared_ptr<HttpRequest>& request, bool icy);
  // An Icecast mount takes this format, for good: the encoder keeps running.
  void set_icecast(IcecastSource* icecast);
  bool active() const { return encoder_ != nullptr; }
  size_t listeners() const { return listeners_.size(); }
  void audio(std::span<const int16_t> frames);
  void title(const TrackTitle& title);

  // A listener whose unsent data passes this skips units.
  static constexpr size_t kMaxBacklog = 64 * 1024;
  // One that has skipped for this long is dropped.
  static constexpr std::chrono::seconds kDropAfter{10};
  // Bytes of audio between two ICY metadata blocks.
  static constexpr size_t kIcyInterval = 16000;
  // How often the encoder's output goes to the listeners: each write to
  // each of them costs system calls, whatever its size.
  static constexpr std::chrono::milliseconds kBatch{100};

private:
  struct Listener {
    std::shared_ptr<HttpRequest> request;
    bool icy = false;
    size_t until_meta = kIcyInterval;
    std::string sent_title; // the title its last ICY block carried
    std::optional<std::chrono::steady_clock::time_point> behind_since;
    uint64_t skipped = 0;
    bool caught_up_logged = false;
  };
  void ensure_encoder();
  void publish(std::chrono::steady_clock::time_point now);
  // Appends the unit to what the listener is to be sent (`out`) unless it
  // is too far behind; false if it is to be dropped.
  bool deliver(Listener& l, const StreamUnit& unit, std::chrono::steady_clock::time_point now,
               std::string& out);
  void write(Listener& l, const std::string& bytes);
  void remove(HttpRequest* request);
  void maybe_stop();

  EventLoop& loop_;
  StreamFormat format_;
  std::function<void()> on_activity_;
  std::unique_ptr<StreamEncoder> encoder_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  IcecastSource* icecast_ = nullptr;
  TrackTitle title_;
  std::vector<StreamUnit> pending_; // not yet passed on
  std::chrono::steady_clock::time_point published_{};
  std::string out_; // one listener's share of a publish
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Both formats, their source, the Icecast mount, and the listener limit.
class AudioStreams {
public:
  AudioStreams(EventLoop& loop, const Config& config);
  AudioStreams(const AudioStreams&) = delete;
  AudioStreams& operator=(const AudioStreams&) = delete;
  ~AudioStreams();

  // Serves GET (or HEAD) of a stream to a listener already allowed to
  // listen: 503 when web_stream_listeners are listening already.
  void serve(const std::shared_ptr<HttpRequest>& request, StreamFormat format);
  size_t listeners() const { return opus_.listeners() + mp3_.listeners(); }

private:
  void update();
  void title(const TrackTitle& t);

  EventLoop& loop_;
  const Config& config_;
  AudioStream opus_, mp3_;
  std::unique_ptr<IcecastSource> icecast_;
  std::unique_ptr<StreamSource> source_;
  TrackTitle title_;
};

} // namespace disorder::web
