// The clock exchange of synchronised listening (disorder_protocol(5),
// "Synchronised playout"): a listener sends a request stamped with its own
// clock (t1) to the address the sender's RTCP reports come from; the
// sender answers with t1 echoed, the instant it received the request (t2)
// and the instant it sent the answer (t3), both on its own clock.  The
// listener notes when the answer came (t4) and hands the four instants to
// a ClockEstimator.  Every instant is a CLOCK_MONOTONIC reading in
// nanoseconds on the host that took it, so a wall-clock jump changes
// nothing.
//
// Both packets are kTimePacketSize bytes, so an answer is never larger
// than the request that caused it (no amplification).  Layout, network
// byte order: "DSYN" (4 octets; its first octet can never start an RTP or
// RTCP packet, whose version is 2), type (1: request, 2: answer), version
// (1), two zero octets, then t1, t2, t3 as signed 64-bit integers (zero in
// a request).  Pure: no clock, no socket, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace disorder {

inline constexpr std::size_t kTimePacketSize = 32;

struct TimeRequest {
  std::int64_t t1 = 0; // the listener's clock when it sent the request
  bool operator==(const TimeRequest&) const = default;
};

struct TimeAnswer {
  std::int64_t t1 = 0; // echoed from the request
  std::int64_t t2 = 0; // the sender's clock when the request arrived
  std::int64_t t3 = 0; // the sender's clock when the answer left
  bool operator==(const TimeAnswer&) const = default;
};

// Write kTimePacketSize bytes; throw Error if out is smaller.
std::size_t encode_time_request(const TimeRequest& request, std::span<std::uint8_t> out);
std::size_t encode_time_answer(const TimeAnswer& answer, std::span<std::uint8_t> out);

// True if the datagram starts with the magic (whether or not it is valid):
// what a socket that also carries RTCP uses to tell the two apart.
bool is_time_packet(std::span<const std::uint8_t> datagram);
// nullopt unless the datagram is exactly one well-formed packet of the
// kind (right size, magic, type and version; zero padding is not checked
// so that later versions may use it).  Never throw.
std::optional<TimeRequest> decode_time_request(std::span<const std::uint8_t> datagram);
std::optional<TimeAnswer> decode_time_answer(std::span<const std::uint8_t> datagram);

} // namespace disorder
