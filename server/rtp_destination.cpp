// Parsing and checking rtp-request destinations.
#include "rtp_destination.hpp"

#include <algorithm>
#include <netdb.h>
#include <netinet/in.h>

namespace disorder {

namespace {

bool is_unicast(const IpAddress& a) {
  if (is_ipv4(a)) {
    const bool any = a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0;
    const bool broadcast = a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255;
    const bool multicast = (a[12] & 0xf0) == 0xe0;
    return !any && !broadcast && !multicast;
  }
  const bool unspecified = std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
  return !unspecified && a[0] != 0xff;
}

} // namespace

RtpDestination parse_rtp_destination(const std::string& address, const std::string& port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw RtpDestinationError("invalid port (a number from 1 to 65535)");
  const long number = std::stol(port);
  if (number < 1 || number > 65535)
    throw RtpDestinationError("invalid port (a number from 1 to 65535)");
  RtpDestination d;
  d.port = std::to_string(number);
  const auto invalid = [] {
    return RtpDestinationError("invalid address (a numeric IPv4 or IPv6 address)");
  };
  // getaddrinfo, for what it accepts beyond inet_pton: the short IPv4 forms
  // ("127.1") and IPv6 zones ("fe80::1%eth0").  Numeric only: no lookup.
  if (address.empty() || address.find('\0') != std::string::npos) throw invalid();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  if (::getaddrinfo(address.c_str(), d.port.c_str(), &hints, &result) != 0 || !result)
    throw invalid();
  const auto ip = ip_address_of(result->ai_addr);
  char host[NI_MAXHOST];
  const bool named = ::getnameinfo(result->ai_addr, result->ai_addrlen, host, sizeof host, nullptr,
                                   0, NI_NUMERICHOST) == 0;
  ::freeaddrinfo(result);
  if (!ip || !named) throw invalid();
  d.address = *ip;
  d.host = host;
  if (!is_unicast(d.address)) throw RtpDestinationError(d.host + " is not a unicast address");
  return d;
}

void check_rtp_destination(const RtpDestination& destination, const RtpRequester& requester,
                           std::span<const AddressPrefix> allow) {
  const IpAddress& a = destination.address;
  for (const auto& p : allow)
    if (p.contains(a)) return;
  if (requester.peer) {
    if (a == *requester.peer) return;
    throw RtpDestinationError("a stream may only go to the address you are connected from"
                              " (the server's rtp_request_allow does not include " +
                              destination.host + ")");
  }
  if (is_loopback(a) || std::find(requester.host_addresses.begin(), requester.host_addresses.end(),
                                  a) != requester.host_addresses.end())
    return;
  throw RtpDestinationError("a stream may only go to this host's own addresses"
                            " (the server's rtp_request_allow does not include " +
                            destination.host + ")");
}

std::vector<std::string> RtpListenerOptions::words() const {
  std::vector<std::string> out{frames ? "frames" : "samples"};
  if (rtcp) out.push_back("rtcp");
  if (opus) out.push_back("opus");
  return out;
}

RtpListenerOptions parse_rtp_listener_options(std::span<const std::string> options) {
  RtpListenerOptions o;
  bool unit_given = false;
  for (const std::string& word : options) {
    if (word == "frames" || word == "samples") {
      const bool frames = word == "frames";
      if (unit_given && o.frames != frames)
        throw RtpDestinationError("frames and samples are exclusive");
      o.frames = frames;
      unit_given = true;
    } else if (word == "rtcp") {
      o.rtcp = true;
    } else if (word == "opus") {
      o.opus = true;
    } else {
      throw RtpDestinationError("unknown option '" + word + "' (frames, samples, rtcp or opus)");
    }
  }
  return o;
}

} // namespace disorder
