// The registry of requested RTP streams and its messages to the speaker.
#include "rtp_requests.hpp"

#include "error.hpp"
#include "log.hpp"
#include "queue/playback.hpp"
#include "speaker_link.hpp"
#include "speaker_protocol.hpp"
#include "users/user_store.hpp" // UserError

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

namespace disorder {

namespace {

// A numeric unicast address: refuses names (resolving one could block the
// loop), the unspecified address, multicast and the IPv4 broadcast address.
void check_address(const std::string& address, const std::string& port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw UserError("invalid port '" + port + "'");
  const long number = std::stol(port);
  if (number < 1 || number > 65535) throw UserError("invalid port '" + port + "'");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  if (address.empty() || ::getaddrinfo(address.c_str(), port.c_str(), &hints, &result) != 0)
    throw UserError("invalid address '" + address + "' (a numeric IPv4 or IPv6 address)");
  bool unicast = false;
  if (result->ai_family == AF_INET) {
    const in_addr_t a =
        ntohl(reinterpret_cast<const sockaddr_in*>(result->ai_addr)->sin_addr.s_addr);
    unicast = a != INADDR_ANY && a != INADDR_BROADCAST && !IN_MULTICAST(a);
  } else if (result->ai_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(result->ai_addr)->sin6_addr;
    unicast = !IN6_IS_ADDR_UNSPECIFIED(&a) && !IN6_IS_ADDR_MULTICAST(&a);
  }
  ::freeaddrinfo(result);
  if (!unicast) throw UserError("address '" + address + "' is not a unicast address");
}

std::string standing_key(const std::string& key) {
  return "rtp " + key;
}

} // namespace

void RtpRequests::request(const Connection* conn, const std::string& address,
                          const std::string& port) {
  check_address(address, port);
  auto it = keys_.find(conn);
  if (it == keys_.end()) {
    if (keys_.size() >= kMaxRtpListeners)
      throw UserError("too many RTP streams (at most " + std::to_string(kMaxRtpListeners) + ")");
    it = keys_.emplace(conn, std::to_string(next_key_++)).first;
  }
  // A second request from the same connection keeps its key: the speaker
  // moves the stream rather than adding one.
  const std::string& key = it->second;
  log_info("RTP stream " + key + " to " + address + " " + port);
  if (SpeakerLink* link = playback_.speaker_link())
    link->set_standing(standing_key(key), {"rtp-add", key, address, port});
}

bool RtpRequests::cancel(const Connection* conn) {
  auto it = keys_.find(conn);
  if (it == keys_.end()) return false;
  const std::string key = it->second;
  keys_.erase(it);
  log_info("RTP stream " + key + " ends");
  if (SpeakerLink* link = playback_.speaker_link())
    link->withdraw_standing(standing_key(key), {"rtp-remove", key});
  return true;
}

} // namespace disorder
