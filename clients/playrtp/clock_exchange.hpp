// The listener's side of the clock exchange (time_exchange.hpp): when to
// send the next time request, which answers to believe, and the
// ClockEstimator they feed.  An answer counts only if it echoes the t1 of a
// request still outstanding (at most kOutstanding, each forgotten after
// kAnswerTimeoutNs) and comes from the very address and port that request
// went to; anything else is dropped, so a stray or forged datagram cannot
// move our idea of the sender's clock.
//
// Pacing: kFastIntervalNs until the estimate is valid; kSettleIntervalNs
// while the estimator is settling() (its first exchanges, a step under
// way, after a restart) and for the first kWarmupExchanges answers from a
// sender; then kSteadyIntervalNs.  On a jittery path (Wi-Fi, a busy
// switch, a WAN) the estimate comes from the least-delayed exchange each
// way, and the more exchanges there are the closer those get to the
// path's floor: twenty a second for the first half minute brings a path
// with 6 ms of jitter within a few tenths of a millisecond in seconds
// rather than a minute.  Four a second after that, with a window of a
// minute of them (256), keeps it there, for 128 bytes a second each way.
//
// Pure: the caller does the I/O and supplies every instant.  The loop
// thread's.
#pragma once

#include "clock_estimator.hpp"
#include "time_exchange.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <sys/socket.h>

namespace disorder::playrtp {

class ClockExchange {
public:
  static constexpr std::int64_t kFastIntervalNs = 25'000'000;
  static constexpr std::int64_t kSettleIntervalNs = 50'000'000;
  static constexpr std::uint64_t kWarmupExchanges = 600;
  static constexpr std::int64_t kSteadyIntervalNs = 250'000'000;
  static constexpr std::int64_t kAnswerTimeoutNs = 2'000'000'000;
  static constexpr std::size_t kOutstanding = 8;

  // Another sender (a new address): forget its predecessor's clock.
  void reset();

  // When the next request is due (now if none was sent yet).
  std::int64_t next_request_ns() const { return next_ns_; }
  // A request stamped t1 = now_ns to `to`, into out (kTimePacketSize
  // bytes); remembers it and schedules the next.
  std::size_t request(std::int64_t now_ns, const sockaddr_storage& to, socklen_t to_length,
                      std::span<std::uint8_t, kTimePacketSize> out);
  // A datagram from `from`, received at t4_ns.  True if it was an answer to
  // an outstanding request and the estimator took it.
  bool answer(std::span<const std::uint8_t> datagram, const sockaddr_storage& from,
              socklen_t from_length, std::int64_t t4_ns);

  const ClockEstimator& estimator() const { return estimator_; }
  std::uint64_t answers() const { return answers_; }
  std::uint64_t refused() const { return refused_; }

private:
  struct Outstanding {
    bool used = false;
    std::int64_t t1 = 0;
    sockaddr_storage to{};
    socklen_t to_length = 0;
  };

  ClockEstimator estimator_{[] {
    ClockEstimator::Settings s;
    s.window = 256; // a minute of exchanges
    return s;
  }()};
  std::array<Outstanding, kOutstanding> outstanding_{};
  std::size_t next_slot_ = 0;
  std::int64_t next_ns_ = 0;
  std::uint64_t answers_ = 0, refused_ = 0;
  std::uint64_t since_reset_ = 0; // answers taken from this sender
};

// Whether two socket addresses name the same address and port (IPv4,
// IPv6; an IPv4-mapped IPv6 address equals its IPv4 one).
bool same_endpoint(const sockaddr_storage& a, socklen_t a_length, const sockaddr_storage& b,
                   socklen_t b_length);

} // namespace disorder::playrtp
