// IP addresses and address prefixes ("192.168.1.0/24", "2001:db8::/32") as
// the configuration names networks (rtp_request_allow), and the test
// whether an address lies in one.  IPv4 addresses are held as IPv4-mapped
// IPv6 addresses (::ffff:a.b.c.d), so that an IPv4 client seen through a
// dual-stack socket is the same address as the IPv4 one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace disorder {

using IpAddress = std::array<std::uint8_t, 16>;

// The address of an AF_INET or AF_INET6 socket address; nullopt for any
// other family.
std::optional<IpAddress> ip_address_of(const sockaddr* address);
// A numeric IPv4 (dotted quad) or IPv6 address; nullopt for anything else.
std::optional<IpAddress> parse_ip_address(std::string_view text);
bool is_ipv4(const IpAddress& address);
// 127.0.0.0/8 or ::1.
bool is_loopback(const IpAddress& address);

struct AddressPrefix {
  std::string text; // as written, for messages and for writing it back
  IpAddress address{};
  int length = 0; // leading bits that count, IPv6-mapped: 0 matches anything
  bool operator==(const AddressPrefix&) const = default;

  bool contains(const IpAddress& a) const;
};

// "ADDRESS", "ADDRESS/LENGTH" (a numeric IPv4 or IPv6 address; LENGTH up to
// 32 or 128, the whole address when left out) or "any".  Bits of ADDRESS
// beyond LENGTH are ignored.  nullopt for anything else.
std::optional<AddressPrefix> parse_address_prefix(std::string_view text);

} // namespace disorder
