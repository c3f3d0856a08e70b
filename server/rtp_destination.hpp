// Where a stream asked for with rtp-request may go (disorder_protocol(5)
// rtp-request): parsing its ADDRESS and PORT, and the rule that a client
// aims a stream only at itself unless rtp_request_allow (disorder_config(5))
// lets it aim elsewhere, so that no client can turn the server's stream on
// a third party.  No I/O: the fuzz target (tests/fuzz/fuzz_rtp_request.cpp)
// runs exactly this.
#pragma once

#include "address_prefix.hpp"
#include "error.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// A refused rtp-request; what() is the reply text.
class RtpDestinationError : public Error {
public:
  using Error::Error;
};

struct RtpDestination {
  std::string host; // numeric and canonical ("127.0.0.1", "::1", "fe80::1%eth0")
  std::string port; // decimal, 1 to 65535, without leading zeros
  IpAddress address;
};

// rtp-request's ADDRESS and PORT: a numeric unicast IPv4 or IPv6 address
// (names are refused: resolving one could block the server) and a port
// from 1 to 65535.  Throws RtpDestinationError.
RtpDestination parse_rtp_destination(const std::string& address, const std::string& port);

// What a listener asks for after ADDRESS and PORT (rtp-request's
// OPTIONS): the timestamp unit, whether it wants RTCP sender reports, and
// whether it wants the Opus stream (whose timestamps are 48 kHz whatever
// the unit).  A listener that asks for nothing is DisOrder's
// disorder-playrtp, which counts timestamps in samples and must get
// nothing on its port+1.
struct RtpListenerOptions {
  bool frames = false; // timestamps count frames (RFC 3551); else samples
  bool rtcp = false;
  bool opus = false;
  // As the speaker's rtp-add takes them: "frames" or "samples", then "rtcp"
  // and "opus" if asked for.
  std::vector<std::string> words() const;
};

// Each of options is "frames", "samples", "rtcp" or "opus", at most one of
// the first two.  Throws RtpDestinationError.
RtpListenerOptions parse_rtp_listener_options(std::span<const std::string> options);

// Who asks for a stream.
struct RtpRequester {
  // The peer address of a TCP connection; nullopt for a connection on a
  // local (UNIX) socket, which may aim at the host itself: a loopback
  // address or one of host_addresses.
  std::optional<IpAddress> peer;
  std::span<const IpAddress> host_addresses;
};

// Throws RtpDestinationError unless requester may send to destination: its
// own address (above), or one that an entry of allow holds.
void check_rtp_destination(const RtpDestination& destination, const RtpRequester& requester,
                           std::span<const AddressPrefix> allow);

} // namespace disorder
