// What a receiver reports about one RTP source (RFC 3550 6.4.1 and
// appendices A.3 and A.8): the extended highest sequence number, the
// packets lost (expected less received, cumulative and as a fraction
// since the last report) and the interarrival jitter, an exponential
// average (gain 1/16) of how much packets' transit times differ from one
// packet to the next.
//
// Sequence numbers are extended over their 16-bit wrap as in A.1: a
// step forward of less than kMaxDropout counts, one back of less than
// kMaxMisorder is a reordered or duplicated packet, anything else starts
// the count again (the sender restarted).  Pure: the caller supplies the
// arrival times.  Single-threaded.
#pragma once

#include "rtcp.hpp"

#include <cstdint>

namespace disorder::playrtp {

class ReceptionStats {
public:
  static constexpr std::uint32_t kMaxDropout = 3000;
  static constexpr std::uint32_t kMaxMisorder = 100;

  // A new source: forget everything.  units_per_second: the RTP clock rate
  // of its timestamps (frames or samples per second).
  void reset(double units_per_second);
  // One packet of the source, arrived at arrival_ns (any monotonic clock).
  void received(std::uint16_t sequence, std::uint32_t timestamp, std::int64_t arrival_ns);

  bool any() const { return started_; }
  std::uint32_t extended_highest() const { return cycles_ + max_seq_; }
  std::int64_t expected() const;
  std::uint64_t packets() const { return received_; }
  // Expected less received (negative with duplicates, as RFC 3550 allows).
  std::int64_t lost() const;
  // In timestamp units, and in seconds.
  double jitter_units() const { return jitter_; }
  double jitter_s() const { return units_per_second_ > 0 ? jitter_ / units_per_second_ : 0; }

  // A report block about `ssrc` (LSR and DLSR left zero: the caller
  // knows the sender reports).  Starts the next interval for the
  // fraction lost.
  RtcpReportBlock report(std::uint32_t ssrc);

private:
  double units_per_second_ = 0;
  bool started_ = false;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0; // multiples of 65536
  std::uint32_t base_seq_ = 0;
  std::uint64_t received_ = 0;
  std::int64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  bool have_transit_ = false;
  double transit_ = 0;
  double jitter_ = 0;
};

} // namespace disorder::playrtp
