// Opening sockets from configured addresses: listening (server) and
// connecting (clients), UNIX-domain and TCP.
#pragma once

#include "config.hpp"
#include "fd.hpp"

#include <string>
#include <sys/socket.h>
#include <sys/types.h>
#include <vector>

namespace disorder {

// A listening UNIX socket at path with the given permissions.  A stale
// socket file left by a dead server is replaced; the caller must hold the
// home lock so that it cannot be a live one.
Fd listen_unix(const std::string& path, mode_t mode);
// Listening TCP sockets for `listen [FAMILY] [HOST] SERVICE` (one per
// address the host resolves to; "*" or no host means every address).
std::vector<Fd> listen_tcp(const NetAddress& address);
Fd connect_unix(const std::string& path);
// Tries each address the host resolves to; throws SystemError naming the
// host and port if none accepts.
Fd connect_tcp(const NetAddress& address);
// "1.2.3.4:5006" or "[::1]:5006" (an IPv4-mapped IPv6 address as IPv4);
// "local" for anything else.
std::string address_and_port(const sockaddr* address, socklen_t length);
// "ADDRESS:PORT" of a connected socket's peer, for logs.
std::string peer_name(int fd);

// A multicast address: 224.0.0.0/4 or ff00::/8.
bool is_multicast(const sockaddr_storage& address);

} // namespace disorder
