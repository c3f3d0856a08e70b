// Binding, multicast membership and the receive buffer.
#include "rtp_socket.hpp"

#include "error.hpp"
#include "log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <set>
#include <unistd.h>

namespace disorder::playrtp {

namespace {

void set_int(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) throw_errno(what);
}

// Joins the group on every suitable interface, or on interface `only`;
// returns their names.
std::string join_group(int fd, const sockaddr_storage& group, unsigned only) {
  const int family = group.ss_family;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) throw_errno("listing network interfaces");
  std::set<std::string> done;
  std::string joined;
  int last_error = 0;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family || !(i->ifa_flags & IFF_UP)) continue;
    if (!(i->ifa_flags & (IFF_MULTICAST | IFF_LOOPBACK))) continue;
    if (!done.insert(i->ifa_name).second) continue;
    const unsigned index = ::if_nametoindex(i->ifa_name);
    if (index == 0 || (only != 0 && index != only)) continue;
    int rc;
    if (family == AF_INET) {
      ip_mreqn m{};
      m.imr_multiaddr = reinterpret_cast<const sockaddr_in&>(group).sin_addr;
      m.imr_ifindex = static_cast<int>(index);
      rc = ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
    } else {
      ipv6_mreq m{};
      m.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6&>(group).sin6_addr;
      m.ipv6mr_interface = index;
      rc = ::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
    }
    if (rc < 0) {
      last_error = errno;
      log_debug(std::string("cannot join the group on ") + i->ifa_name + ": " +
                std::strerror(errno));
      continue;
    }
    joined += (joined.empty() ? "" : ", ") + std::string(i->ifa_name);
  }
  ::freeifaddrs(list);
  if (joined.empty())
    throw SystemError("joining multicast group " + numeric_host(group, sizeof group) +
                          " on any interface",
                      last_error ? last_error : ENODEV);
  return joined;
}

void raise_rcvbuf(int fd, int wanted) {
  if (wanted <= 0) return;
  int current = 0;
  socklen_t len = sizeof current;
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &current, &len);
  // Linux reports twice what was set (the other half is bookkeeping).
  if (current / 2 >= wanted) return;
  // SO_RCVBUFFORCE passes net.core.rmem_max, for those allowed to.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) < 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted) < 0)
    log_warning("cannot set the receive buffer to " + std::to_string(wanted) +
                " bytes: " + std::strerror(errno));
  len = sizeof current;
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &current, &len);
  log_debug("receive buffer " + std::to_string(current / 2) + " bytes");
}

RtpSocket bind_wildcard(const std::string& service) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  // Resolve the port (a number or a service name) once, as IPv4.
  hints.ai_family = AF_INET;
  int rc = ::getaddrinfo(nullptr, service.c_str(), &hints, &res);
  if (rc != 0) throw Error("cannot resolve port " + service + ": " + gai_strerror(rc));
  const in_port_t port = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_port;
  ::freeaddrinfo(res);
  RtpSocket s;
  // IPv6 with v4-mapped addresses hears both families; without IPv6, IPv4.
  Fd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd) {
    set_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "clearing IPV6_V6ONLY");
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = port;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      s.fd = std::move(fd);
    } else if (errno != EADDRNOTAVAIL && errno != EAFNOSUPPORT) {
      throw_errno("binding port " + service);
    }
  }
  if (!s.fd) {
    fd = Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw_errno("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = port;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      throw_errno("binding port " + service);
    s.fd = std::move(fd);
  }
  s.description = "port " + service + " (unicast or broadcast)";
  return s;
}

} // namespace

std::string numeric_host(const sockaddr_storage& address, socklen_t length) {
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host, nullptr,
                    0, NI_NUMERICHOST) != 0)
    return "?";
  return host;
}

std::string numeric_port(const sockaddr_storage& address, socklen_t length) {
  char port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, nullptr, 0, port,
                    sizeof port, NI_NUMERICSERV) != 0)
    return "?";
  return port;
}

RtpSocket open_rtp_socket(const std::string& host_zone, const std::string& service, int rcvbuf) {
  RtpSocket s;
  if (host_zone.empty()) {
    s = bind_wildcard(service);
  } else {
    // ADDRESS%INTERFACE: a group joined on that interface only.
    const auto percent = host_zone.find('%');
    const std::string host = host_zone.substr(0, percent);
    unsigned only = 0;
    if (percent != std::string::npos) {
      const std::string zone = host_zone.substr(percent + 1);
      only = ::if_nametoindex(zone.c_str());
      if (only == 0) throw Error("no network interface " + zone);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0)
      throw Error("cannot resolve " + host + " port " + service + ": " + gai_strerror(rc));
    sockaddr_storage address{};
    std::memcpy(&address, res->ai_addr, res->ai_addrlen);
    const socklen_t length = res->ai_addrlen;
    ::freeaddrinfo(res);
    const bool group = is_multicast(address);
    if (only != 0 && !group)
      throw Error(host_zone + ": an interface can be given only with a multicast group");
    if (only != 0 && address.ss_family == AF_INET6)
      reinterpret_cast<sockaddr_in6&>(address).sin6_scope_id = only;
    Fd fd(::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) throw_errno("socket");
    if (group) set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setting SO_REUSEADDR");
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) < 0)
      throw_errno("binding " + host + " port " + service);
    if (group) {
      const std::string on = join_group(fd.get(), address, only);
      s.description = "multicast group " + numeric_host(address, length) + " port " +
                      numeric_port(address, length) + " (joined on " + on + ")";
    } else {
      s.description = numeric_host(address, length) + " port " + numeric_port(address, length);
    }
    s.fd = std::move(fd);
  }
  raise_rcvbuf(s.fd.get(), rcvbuf);
  s.local_length = sizeof s.local;
  if (::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&s.local), &s.local_length) < 0)
    throw_errno("getsockname");
  return s;
}

} // namespace disorder::playrtp
