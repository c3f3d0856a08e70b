// Reads datagrams from the RTP socket into the Player, on the loop thread,
// stamping each with CLOCK_MONOTONIC as it is read.  While the jitter
// buffer is full (--max) it stops reading and looks again every
// kRecheck; meanwhile the kernel's receive buffer (--rcvbuf) holds what
// arrives, and drops what does not fit.
#pragma once

#include "event_loop.hpp"
#include "player.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace disorder::playrtp {

class PacketReader {
public:
  static constexpr std::chrono::milliseconds kRecheck{5};
  // At most this many datagrams per wake-up, so that timers still run.
  static constexpr int kBatch = 64;

  PacketReader(EventLoop& loop, int fd, Player& player);
  PacketReader(const PacketReader&) = delete;
  PacketReader& operator=(const PacketReader&) = delete;

private:
  void readable();
  void recheck();

  int fd_;
  Player& player_;
  std::vector<std::uint8_t> buffer_;
  std::unique_ptr<Event> read_event_;
  std::unique_ptr<Event> recheck_timer_;
};

} // namespace disorder::playrtp
