// When a datagram arrived, on CLOCK_MONOTONIC, from the kernel's receive
// timestamp rather than from when a thread got round to reading it: the
// clock exchange of synchronised playout counts a busy machine's scheduling
// delay as network delay otherwise, and a one-sided one as clock offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <sys/socket.h>

namespace disorder {

// Asks the kernel to timestamp each datagram fd receives (SO_TIMESTAMPNS).
// False if it cannot; arrival_ns() then falls back to the time of reading.
bool enable_arrival_timestamps(int fd);

// Room in a recvmsg() control buffer for the timestamp.
inline constexpr std::size_t kArrivalControlSize = CMSG_SPACE(sizeof(struct timespec));

// The arrival of the datagram recvmsg() just returned in msg, on the
// monotonic clock: now_monotonic_ns less the time it waited in the socket
// (measured on the real-time clock, which the kernel stamps).  A wait that
// makes no sense (negative, or over a second: the wall clock was set
// meanwhile) counts as none.
std::int64_t arrival_ns(const msghdr& msg, std::int64_t now_monotonic_ns);

} // namespace disorder
