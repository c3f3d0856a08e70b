// When a datagram arrived, on CLOCK_MONOTONIC, from the kernel's receive
// timestamp rather than from when a thread got round to reading it: the
// clock exchange of synchronised playout counts a busy machine's scheduling
// delay as network delay otherwise, and a one-sided one as clock offset;
// disorder-playrtp's RTP reader builds its jitter buffer's schedule on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <sys/socket.h>

namespace disorder {

// Asks the kernel to timestamp each datagram fd receives (SO_TIMESTAMPNS).
// False if it cannot; arrival_ns() then falls back to the time of reading.
// When no other socket on the machine has timestamps on, the kernel starts
// stamping a little later (from a work queue): the first datagrams may be
// dated when they are read.
bool enable_arrival_timestamps(int fd);

// Room in a recvmsg() control buffer for the timestamp.
inline constexpr std::size_t kArrivalControlSize = CMSG_SPACE(sizeof(struct timespec));

// The kernel's receive timestamp of the datagram recvmsg() returned in msg,
// in nanoseconds on CLOCK_REALTIME, or nullopt if there is none.
std::optional<std::int64_t> receive_timestamp_ns(const msghdr& msg);

// The arrival of the datagram recvmsg() just returned in msg, on the
// monotonic clock: now_monotonic_ns less the time it waited in the socket
// (measured on the real-time clock, which the kernel stamps).  A wait that
// makes no sense (negative, or over a second: the wall clock was set
// meanwhile) counts as none.
std::int64_t arrival_ns(const msghdr& msg, std::int64_t now_monotonic_ns);

} // namespace disorder
