// disorder-playrtp's audio thread, and the lock that the network side and
// the audio side share.  The loop thread hands every datagram to receive()
// (parsed, then inserted into the JitterBuffer); the audio thread asks
// Playout what to do next under the lock, renders outside it, applies the
// software volume and writes to the Backend.  A backend that fails (a
// device that went away, an exited --command) is closed and opened again
// after a pause; the command is thereby re-run.
//
// Threads: receive(), full(), set_volume(), volume() and snapshot() on the
// loop thread; everything else on the audio thread, which start() creates
// and stop() (or the destructor) joins.  The backend is the audio
// thread's alone while it runs.
#pragma once

#include "jitter_buffer.hpp"
#include "output_clock.hpp"
#include "playout.hpp"
#include "server/speaker/backend.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <utility>

namespace disorder::playrtp {

class Player {
public:
  // The audio thread's SCHED_FIFO priority, as disorder-speaker's.
  static constexpr int kRealtimePriority = 5;

  struct Settings {
    JitterBuffer::Settings buffer;
    Playout::Settings playout; // playout.output is what the backend is opened with
  };

  Player(Backend& backend, const Settings& settings);
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;
  ~Player(); // stop()

  void start();
  void stop();

  // --- loop thread
  // One datagram, received at now_ns (CLOCK_MONOTONIC).
  void receive(std::span<const std::uint8_t> datagram, std::int64_t now_ns);
  // The jitter buffer is at --max: stop reading for a while.
  bool full() const;
  // 0..100 a side, applied to the samples (exactly unchanged at 100).
  void set_volume(int left, int right);
  std::pair<int, int> volume() const;

  struct Snapshot {
    bool streaming = false;
    AudioFormat format;
    TimestampUnit unit = TimestampUnit::frames;
    std::size_t buffered_frames = 0;
    std::uint64_t not_rtp = 0; // datagrams that were not RTP at all
    JitterStats buffer;
    PlayoutStats playout;
  };
  Snapshot snapshot() const;

private:
  void run();
  void step();
  // Ends a suspension, if the output is suspended.
  void resume();
  // Sleeps up to `ns`, less if stop() is called.
  void nap(std::int64_t ns);

  Backend& backend_;
  const AudioFormat output_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  JitterBuffer buffer_;         // mutex_
  std::uint64_t not_rtp_ = 0;   // mutex_
  bool packet_wanted_ = false;  // mutex_: the audio thread waits for a packet
  bool packet_arrived_ = false; // mutex_
  Playout playout_;             // audio thread; plan() under mutex_
  OutputClock clock_;           // audio thread
  bool suspended_ = false;      // audio thread
  bool failing_ = false;        // audio thread
  std::atomic<bool> quit_{false};
  std::atomic<int> left_{100}, right_{100};
  std::thread thread_;
};

} // namespace disorder::playrtp
