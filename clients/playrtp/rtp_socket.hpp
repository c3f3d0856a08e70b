// The UDP socket disorder-playrtp receives on.
//
//  - No host: the port on every local address (IPv6 and IPv4 together
//    where the system has IPv6), which receives unicast and broadcast.
//  - A multicast group (224.0.0.0/4, ff00::/8): bound to the group and
//    port with SO_REUSEADDR, so that several listeners on one host can
//    share a stream, and joined on every interface that is up and can carry
//    multicast, loopback included, so that the stream is heard whichever
//    interface it arrives on (copies arriving on two are duplicates, which
//    the jitter buffer drops).  GROUP%INTERFACE joins on that one only.
//  - Any other address: bound to it (one of our own addresses, or a
//    broadcast address).
//
// The receive buffer is raised to `rcvbuf` bytes if that is more than the
// system gives (never lowered).
#pragma once

#include "fd.hpp"
#include "socket_address.hpp" // is_multicast

#include <string>
#include <sys/socket.h>

namespace disorder::playrtp {

struct RtpSocket {
  Fd fd; // non-blocking, close-on-exec
  sockaddr_storage local{};
  socklen_t local_length = 0;
  std::string description; // for logs: what is bound and joined
};

// Throws SystemError (bind, join) or Error (resolution) naming the address.
RtpSocket open_rtp_socket(const std::string& host, const std::string& service, int rcvbuf);

// Numeric host and port of a socket address.
std::string numeric_host(const sockaddr_storage& address, socklen_t length);
std::string numeric_port(const sockaddr_storage& address, socklen_t length);

} // namespace disorder::playrtp
