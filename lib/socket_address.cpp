// Socket creation for configured addresses.
#include "socket_address.hpp"

#include "error.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace disorder {

namespace {

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path)
    throw Error("socket path too long (" + std::to_string(path.size()) + " bytes): " + path);
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  return sun;
}

struct AddrInfo {
  addrinfo* list = nullptr;
  AddrInfo(const NetAddress& a, bool passive) {
    addrinfo hints{};
    hints.ai_family = a.family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    const char* host = a.host.empty() || (passive && a.host == "*") ? nullptr : a.host.c_str();
    int rc = ::getaddrinfo(host, a.service.c_str(), &hints, &list);
    if (rc != 0)
      throw Error("cannot resolve " + (host ? a.host : std::string("*")) + " port " + a.service +
                  ": " + gai_strerror(rc));
  }
  ~AddrInfo() {
    if (list) ::freeaddrinfo(list);
  }
};

} // namespace

Fd listen_unix(const std::string& path, mode_t mode) {
  // Bound and listening under a temporary name, then renamed into place:
  // a client that finds the socket file can always connect to it.
  const std::string temporary = path + ".new";
  sockaddr_un sun = unix_address(temporary);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  ::unlink(temporary.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0)
    throw_errno("binding " + path);
  if (::chmod(temporary.c_str(), mode) < 0 || ::listen(fd.get(), SOMAXCONN) < 0 ||
      ::rename(temporary.c_str(), path.c_str()) < 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw SystemError("listening on " + path, error);
  }
  return fd;
}

std::vector<Fd> listen_tcp(const NetAddress& address) {
  AddrInfo ai(address, true);
  std::vector<Fd> fds;
  for (addrinfo* p = ai.list; p; p = p->ai_next) {
    Fd fd(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
    if (!fd) throw_errno("socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (p->ai_family == AF_INET6)
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), p->ai_addr, p->ai_addrlen) < 0) {
      int e = errno;
      // With no host, the v6 wildcard may be unavailable: the v4 one suffices.
      if (e == EADDRNOTAVAIL && p->ai_family == AF_INET6 && ai.list->ai_next) continue;
      throw SystemError("binding " + (address.host.empty() ? std::string("*") : address.host) +
                            " port " + address.service,
                        e);
    }
    if (::listen(fd.get(), SOMAXCONN) < 0) throw_errno("listen");
    fds.push_back(std::move(fd));
  }
  if (fds.empty()) throw Error("no address to listen on for port " + address.service);
  return fds;
}

Fd connect_unix(const std::string& path) {
  sockaddr_un sun = unix_address(path);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0)
    throw_errno("connecting to " + path);
  return fd;
}

Fd connect_tcp(const NetAddress& address) {
  AddrInfo ai(address, false);
  int last = ECONNREFUSED;
  for (addrinfo* p = ai.list; p; p = p->ai_next) {
    Fd fd(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
    if (!fd) throw_errno("socket");
    if (::connect(fd.get(), p->ai_addr, p->ai_addrlen) == 0) return fd;
    last = errno;
  }
  throw SystemError("connecting to " + address.host + " port " + address.service, last);
}

std::string address_and_port(const sockaddr* address, socklen_t length) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(address);
    ::inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(sin->sin_port));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address);
    const int port = ntohs(sin6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      ::inet_ntop(AF_INET, sin6->sin6_addr.s6_addr + 12, host, sizeof host);
      return std::string(host) + ":" + std::to_string(port);
    }
    ::inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
    return std::string("[") + host + "]:" + std::to_string(port);
  }
  return "local";
}

std::string peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "?";
  return address_and_port(reinterpret_cast<const sockaddr*>(&ss), len);
}

bool is_multicast(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr));
  if (a.ss_family == AF_INET6)
    return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
  return false;
}

} // namespace disorder
