// Requests out, answers matched to them, the estimator fed.
#include "clock_exchange.hpp"

#include <cstring>
#include <netinet/in.h>

namespace disorder::playrtp {

namespace {

// IPv4 address and port of a, unmapping ::ffff:a.b.c.d; false if neither.
bool as_ipv4(const sockaddr_storage& a, std::uint32_t& address, std::uint16_t& port) {
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    address = in.sin_addr.s_addr;
    port = in.sin_port;
    return true;
  }
  if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    if (!IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return false;
    std::memcpy(&address, in6.sin6_addr.s6_addr + 12, 4);
    port = in6.sin6_port;
    return true;
  }
  return false;
}

} // namespace

bool same_endpoint(const sockaddr_storage& a, socklen_t, const sockaddr_storage& b, socklen_t) {
  std::uint32_t a4 = 0, b4 = 0;
  std::uint16_t ap = 0, bp = 0;
  const bool a_is4 = as_ipv4(a, a4, ap), b_is4 = as_ipv4(b, b4, bp);
  if (a_is4 || b_is4) return a_is4 && b_is4 && a4 == b4 && ap == bp;
  if (a.ss_family != AF_INET6 || b.ss_family != AF_INET6) return false;
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port &&
         std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0 &&
         (x.sin6_scope_id == y.sin6_scope_id || !x.sin6_scope_id || !y.sin6_scope_id);
}

void ClockExchange::reset() {
  estimator_.reset();
  outstanding_ = {};
  next_ns_ = 0;
  since_reset_ = 0;
}

std::size_t ClockExchange::request(std::int64_t now_ns, const sockaddr_storage& to,
                                   socklen_t to_length,
                                   std::span<std::uint8_t, kTimePacketSize> out) {
  Outstanding& o = outstanding_[next_slot_];
  next_slot_ = (next_slot_ + 1) % kOutstanding;
  o.used = true;
  o.t1 = now_ns;
  o.to = to;
  o.to_length = to_length;
  // Pacing: fast until valid, many a second while it settles and warms
  // up, then a few.
  const std::int64_t interval = !estimator_.valid() ? kFastIntervalNs
                                : estimator_.settling() || since_reset_ < kWarmupExchanges
                                    ? kSettleIntervalNs
                                    : kSteadyIntervalNs;
  next_ns_ = now_ns + interval;
  return encode_time_request(TimeRequest{now_ns}, out);
}

bool ClockExchange::answer(std::span<const std::uint8_t> datagram, const sockaddr_storage& from,
                           socklen_t from_length, std::int64_t t4_ns) {
  const auto a = decode_time_answer(datagram);
  if (!a) {
    ++refused_;
    return false;
  }
  for (Outstanding& o : outstanding_) {
    // From elsewhere it does not count, nor spoil the real answer.
    if (!o.used || o.t1 != a->t1 || !same_endpoint(o.to, o.to_length, from, from_length)) continue;
    o.used = false;
    if (t4_ns - o.t1 > kAnswerTimeoutNs) {
      ++refused_;
      return false;
    }
    if (!estimator_.add({a->t1, a->t2, a->t3, t4_ns})) {
      ++refused_;
      return false;
    }
    ++answers_;
    ++since_reset_;
    return true;
  }
  ++refused_;
  return false;
}

} // namespace disorder::playrtp
