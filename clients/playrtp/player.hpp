// disorder-playrtp's audio thread.  It wakes once per output chunk: it
// waits until the output is ready for the chunk, reads every datagram that
// has arrived on the RTP socket into the JitterBuffer (with the kernel's
// arrival times, so reading late costs no accuracy), asks Playout what to
// do, renders, applies the software volume and writes to the Backend.
// Deciding at the last moment keeps the audio needed early to a minimum,
// and one wake-up per chunk does the network's work and the output's.
// With nothing to play it sleeps in ppoll() on the socket.  A backend that
// fails (a device that went away, an exited --command) is closed and
// opened again after a pause; the command is thereby re-run.  One that
// cannot be opened (no sound card) is tried again less and less often,
// and meanwhile the stream is still read, followed and counted (the
// monitor and the status show what arrives), and dropped unheard.
//
// Threads: set_volume(), volume() and snapshot() on the loop thread (the
// mutex guards the jitter buffer and the statistics for snapshot());
// everything else on the audio thread, which start() creates and stop()
// (or the destructor) joins.  The backend and the socket are the audio
// thread's alone while it runs.
#pragma once

#include "audio/backend.hpp"
#include "audio/output_retry.hpp"
#include "fd.hpp"
#include "jitter_buffer.hpp"
#include "output_clock.hpp"
#include "packet_reader.hpp"
#include "playout.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace disorder::playrtp {

class Player {
public:
  struct Settings {
    JitterBuffer::Settings buffer;
    Playout::Settings playout; // playout.output is what the backend is opened with
    // --output-delay: what the output holds beyond what it reports
    // (libao, a command's own buffering): a frame is heard that much later.
    std::int64_t output_delay_ns = 0;
  };

  // socket: the RTP socket (non-blocking), which must outlive the Player.
  Player(Backend& backend, int socket, const Settings& settings);
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;
  ~Player(); // stop()

  void start();
  void stop();

  // --- loop thread
  // 0..100 a side, applied to the samples (exactly unchanged at 100).
  void set_volume(int left, int right);
  std::pair<int, int> volume() const;

  // The sender's timeline (JitterBuffer::set_sync()), and the latency it
  // states while our clock estimate is not ready (JitterBuffer::expect_sync()).
  void set_sync(const std::optional<SyncAnchor>& anchor);
  void expect_sync(std::int64_t latency_ns);
  // The SSRC being followed, if any.
  std::optional<std::uint32_t> followed_ssrc() const;
  // A reception report block about the followed source, if it is `ssrc`
  // (starts the next interval of its fraction lost).
  std::optional<RtcpReportBlock> report_block(std::uint32_t ssrc);

  struct Snapshot {
    bool streaming = false;
    bool synchronised = false;
    // How much later than it is written the output sounds a frame: what it
    // reports, or what has been written ahead at the nominal rate, plus
    // --output-delay.
    std::int64_t output_delay_ns = 0;
    ReceptionStats reception;
    AudioFormat format;
    bool opus = false; // an Opus stream (format: what it decodes to)
    TimestampUnit unit = TimestampUnit::frames;
    std::size_t buffered_frames = 0;
    std::uint64_t not_rtp = 0;       // datagrams that were not RTP at all
    bool output_unavailable = false; // the output cannot be opened: nothing is heard
    JitterStats buffer;
    PlayoutStats playout;
  };
  Snapshot snapshot() const;

private:
  void run();
  void step();
  // Everything waiting on the socket into the jitter buffer, unless it is
  // full (--max): then the kernel's receive buffer holds what arrives.
  void drain();
  // Sleeps until until_ns, or stop(), or (if for_packet) a datagram.
  void sleep(std::int64_t until_ns, bool for_packet);
  // Until until_ns or stop(), with no output: reads the stream into the
  // buffer, which keeps following and counting it, and drops it there.
  void wait_without_output(std::int64_t until_ns);
  // Ends a suspension, if the output is suspended.
  void resume();

  Backend& backend_;
  const int socket_;
  const AudioFormat output_;
  const std::int64_t output_delay_ns_;
  Fd wake_; // eventfd: stop() was called
  PacketReader reader_;
  mutable std::mutex mutex_;
  JitterBuffer buffer_;       // mutex_
  std::uint64_t not_rtp_ = 0; // mutex_
  Playout playout_;           // audio thread; plan() under mutex_
  OutputClock clock_;         // audio thread
  bool suspended_ = false;    // audio thread
  OutputRetry retry_;         // audio thread
  std::atomic<bool> output_unavailable_{false};
  std::atomic<bool> quit_{false};
  std::atomic<std::int64_t> output_delay_seen_ns_{0};
  std::atomic<int> left_{100}, right_{100};
  // Their Q16 gains (volume_to_gain()), for the audio thread.
  std::atomic<std::uint32_t> left_gain_{1u << 16}, right_gain_{1u << 16};
  std::thread thread_;
};

} // namespace disorder::playrtp
