// Reads the datagrams waiting on the RTP socket, up to kBatch with one
// recvmmsg(2), each with the time the kernel received it (SO_TIMESTAMPNS)
// converted to CLOCK_MONOTONIC.  The audio thread reads the socket only
// when it is about to decide what to play, so a datagram may wait there a
// chunk's time; its arrival time is exact all the same, and that is what
// the jitter buffer's schedule is built from.
//
// Not thread-safe: the audio thread's.  Memory: kBatch buffers of the
// largest datagram, allocated once and touched only as far as datagrams
// fill them.
#pragma once

#include "arrival_time.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <sys/socket.h>

namespace disorder::playrtp {

class PacketReader {
public:
  static constexpr std::size_t kBatch = 16;
  static constexpr std::size_t kMaxDatagram = 65536;

  // Asks the kernel to time-stamp what `fd` (non-blocking) receives.
  explicit PacketReader(int fd);
  PacketReader(const PacketReader&) = delete;
  PacketReader& operator=(const PacketReader&) = delete;

  // Reads what is waiting, at most kBatch; returns how many datagrams (0:
  // none, or an error, which is logged at debug level).
  std::size_t read();
  std::span<const std::uint8_t> datagram(std::size_t i) const;
  // CLOCK_MONOTONIC; never later than the read() that returned it.
  std::int64_t arrival_ns(std::size_t i) const { return arrival_ns_[i]; }

private:
  int fd_;
  std::unique_ptr<std::uint8_t[]> data_; // kBatch * kMaxDatagram, uninitialised
  mmsghdr messages_[kBatch];
  iovec iov_[kBatch];
  // Room for one SCM_TIMESTAMPNS control message per datagram.
  alignas(cmsghdr) char control_[kBatch][kArrivalControlSize];
  std::int64_t arrival_ns_[kBatch];
};

} // namespace disorder::playrtp
