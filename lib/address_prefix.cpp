// Parsing addresses and prefixes, and matching one against the other.
#include "address_prefix.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <netinet/in.h>

namespace disorder {

namespace {

constexpr IpAddress kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddress mapped(const in_addr& a) {
  IpAddress out = kMappedPrefix;
  std::memcpy(out.data() + 12, &a.s_addr, 4);
  return out;
}

IpAddress from_in6(const in6_addr& a) {
  IpAddress out;
  std::memcpy(out.data(), a.s6_addr, 16);
  return out;
}

} // namespace

std::optional<IpAddress> ip_address_of(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  if (address->sa_family == AF_INET)
    return mapped(reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  if (address->sa_family == AF_INET6)
    return from_in6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  return std::nullopt;
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  // inet_pton wants a terminated string; anything longer than the longest
  // IPv6 text is not an address.
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = 0;
  if (std::memchr(text.data(), 0, text.size()) != nullptr) return std::nullopt;
  in_addr v4;
  if (::inet_pton(AF_INET, buffer, &v4) == 1) return mapped(v4);
  in6_addr v6;
  if (::inet_pton(AF_INET6, buffer, &v6) == 1) return from_in6(v6);
  return std::nullopt;
}

bool is_ipv4(const IpAddress& address) {
  return std::memcmp(address.data(), kMappedPrefix.data(), 12) == 0;
}

bool is_loopback(const IpAddress& address) {
  if (is_ipv4(address)) return address[12] == 127;
  static constexpr IpAddress kV6Loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return address == kV6Loopback;
}

bool AddressPrefix::contains(const IpAddress& a) const {
  const int whole = length / 8, bits = length % 8;
  if (std::memcmp(a.data(), address.data(), static_cast<std::size_t>(whole)) != 0) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (a[static_cast<std::size_t>(whole)] & mask) ==
         (address[static_cast<std::size_t>(whole)] & mask);
}

std::optional<AddressPrefix> parse_address_prefix(std::string_view text) {
  AddressPrefix p;
  p.text = text;
  if (text == "any") return p; // length 0
  const auto slash = text.find('/');
  const std::string_view written = text.substr(0, slash);
  const auto address = parse_ip_address(written);
  if (!address) return std::nullopt;
  p.address = *address;
  // As written: "::ffff:10.0.0.0/104" is an IPv6 prefix, though it names
  // IPv4 addresses.
  const int max = written.find(':') == std::string_view::npos ? 32 : 128;
  int length = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const char* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, length);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() || ptr != end || length < 0 ||
        length > max)
      return std::nullopt;
  }
  // An IPv4 prefix counts from the end of the mapping prefix.
  p.length = length + (max == 32 ? 96 : 0);
  return p;
}

} // namespace disorder
