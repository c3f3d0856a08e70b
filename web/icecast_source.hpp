// Feeds disorder-web's encoded stream to an Icecast mount (web_icecast in
// disorder_config(5)) with libshout, on a thread of its own so that a slow
// or absent Icecast never holds up the event loop: the loop hands it whole
// units, it sends them, updates the mount's metadata when the track
// changes (MP3; an Ogg stream carries it in each new chain's OpusTags), and
// reconnects after an outage, waiting 1 s, then twice as long each time up
// to 30 s, and logging once per outage.
#pragma once

#include "config.hpp"
#include "web/stream_encoder.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace disorder::web {

class IcecastSource {
public:
  explicit IcecastSource(IcecastTarget target);
  IcecastSource(const IcecastSource&) = delete;
  IcecastSource& operator=(const IcecastSource&) = delete;
  // Stops the thread (within a fraction of a second).
  ~IcecastSource();

  // Loop thread.  units: the stream as it is made; headers: what the mount
  // must get first after each (re)connection (an Ogg chain's headers).
  // Units that arrive while Icecast is away are dropped.
  void send(const std::vector<StreamUnit>& units, const std::vector<StreamUnit>& headers);
  void set_title(const TrackTitle& title);

private:
  void run();

  const IcecastTarget target_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Under mutex_:
  bool stop_ = false;
  bool connected_ = false;
  std::deque<StreamUnit> queue_;
  size_t queued_bytes_ = 0;
  std::vector<StreamUnit> headers_;
  std::string title_;
  bool title_changed_ = false;
  std::thread thread_; // last: started once the rest is ready
};

} // namespace disorder::web
