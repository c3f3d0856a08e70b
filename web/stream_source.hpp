// Where disorder-web's audio stream comes from: the jukebox's own RTP
// stream (L16, 44.1 kHz stereo, or an Opus broadcast decoded to that), asked for with rtp-request
// on a loopback UDP port when disorderd is in request mode, or heard at the broadcast address that
// rtp-address gives otherwise; and the playing track's names, followed on the event log.  While
// disorderd cannot be reached, or sends nothing (paused, idle), the source gives silence in real
// time, so that listeners and Icecast keep a live stream.  Loop thread only.
#pragma once

#include "async_client.hpp"
#include "config.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "web/opus_rtp_input.hpp"
#include "web/stream_encoder.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace disorder::web {

// The payload of one RTP packet as interleaved stereo samples in host order,
// or nullopt if it is not an L16 44.1 kHz packet (payload type 10, stereo,
// or 11, mono, which is made stereo).  `sequence` gets its sequence number.
// Pure, for the unit tests and the fuzz target.
std::optional<std::vector<int16_t>> rtp_l16_payload(std::span<const unsigned char> packet,
                                                    uint16_t& sequence, int& payload_type);

// The payload of an RTP packet (past the header, its extension and
// padding), or nullopt if it is not a version 2 RTP packet.
std::optional<std::span<const unsigned char>> rtp_payload(std::span<const unsigned char> packet,
                                                          uint16_t& sequence, int& payload_type);

class StreamSource {
public:
  using AudioHandler = std::function<void(std::span<const int16_t> frames)>;
  using TitleHandler = std::function<void(const TrackTitle&)>;

  // Starts at once: connects, logs in as config.web_stream_login and asks
  // for the stream.  Failures are logged and retried; they never throw.
  StreamSource(EventLoop& loop, const Config& config, AudioHandler on_audio, TitleHandler on_title);
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;
  ~StreamSource();

private:
  void start();
  void fail(const std::string& why);
  void stop_connections();
  void logged_in();
  void listen_request_mode();
  void listen_broadcast(const std::string& host, const std::string& port);
  void readable();
  void tick();
  void follow_titles();
  void look_up(const std::string& track);

  EventLoop& loop_;
  const Config& config_;
  AudioHandler on_audio_;
  TitleHandler on_title_;
  std::unique_ptr<AsyncClient> control_, log_;
  Fd socket_;
  std::unique_ptr<Event> readable_, ticker_, retry_;
  std::chrono::milliseconds backoff_{1000};
  bool failing_ = false; // an outage was logged and has not ended
  std::optional<uint16_t> last_sequence_;
  std::unique_ptr<OpusRtpInput> opus_; // once an Opus packet came
  int reported_payload_type_ = -1;
  std::chrono::steady_clock::time_point last_audio_;
  std::optional<std::chrono::steady_clock::time_point> silence_from_;
  uint64_t silence_fed_ = 0;
  std::vector<int16_t> zeros_;
  // Bumped by every start, so that a late reply of an older attempt is
  // ignored.
  uint64_t generation_ = 0;
  std::string track_;
};

} // namespace disorder::web
