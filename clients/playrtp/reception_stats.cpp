// Sequence extension, loss and interarrival jitter (RFC 3550 A.1, A.3, A.8).
#include "reception_stats.hpp"

#include <algorithm>
#include <cmath>

namespace disorder::playrtp {

void ReceptionStats::reset(double units_per_second) {
  *this = ReceptionStats();
  units_per_second_ = units_per_second;
}

void ReceptionStats::received(std::uint16_t sequence, std::uint32_t timestamp,
                              std::int64_t arrival_ns) {
  if (!started_) {
    started_ = true;
    max_seq_ = sequence;
    base_seq_ = sequence;
    cycles_ = 0;
    received_ = 0;
  } else {
    const auto delta = static_cast<std::uint16_t>(sequence - max_seq_);
    if (delta < kMaxDropout) {
      if (sequence < max_seq_) cycles_ += 65536;
      max_seq_ = sequence;
    } else if (delta <= 65536 - kMaxMisorder) {
      // A jump: the sender started again.  Count from here.
      const double units = units_per_second_;
      reset(units);
      started_ = true;
      max_seq_ = sequence;
      base_seq_ = sequence;
    }
    // else: reordered or duplicated, counted as received.
  }
  ++received_;
  // Transit time in timestamp units; its changes from packet to packet
  // are the jitter.  Doubles: exact for the 32-bit timestamp and far
  // finer than a unit for the arrival.
  const double arrival_units = static_cast<double>(arrival_ns) * units_per_second_ / 1e9;
  const double transit = arrival_units - static_cast<double>(timestamp);
  if (have_transit_) {
    double d = std::fabs(transit - transit_);
    // A timestamp that wrapped between the two packets.
    if (d > 2147483648.0) d = std::fabs(d - 4294967296.0);
    jitter_ += (d - jitter_) / 16;
  }
  transit_ = transit;
  have_transit_ = true;
}

std::int64_t ReceptionStats::expected() const {
  if (!started_) return 0;
  return static_cast<std::int64_t>(extended_highest()) - base_seq_ + 1;
}

std::int64_t ReceptionStats::lost() const {
  return expected() - static_cast<std::int64_t>(received_);
}

RtcpReportBlock ReceptionStats::report(std::uint32_t ssrc) {
  RtcpReportBlock b;
  b.ssrc = ssrc;
  b.highest_sequence = extended_highest();
  // 24 bits, signed, clamped (RFC 3550 6.4.1).
  b.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(lost(), -0x800000, 0x7fffff));
  const std::int64_t expected_interval = expected() - expected_prior_;
  const auto received_interval = static_cast<std::int64_t>(received_ - received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  b.fraction_lost = expected_interval <= 0 || lost_interval <= 0
                        ? 0
                        : static_cast<std::uint8_t>(std::min<std::int64_t>(
                              255, (lost_interval << 8) / expected_interval));
  expected_prior_ = expected();
  received_prior_ = received_;
  b.jitter = static_cast<std::uint32_t>(std::min(jitter_, 4294967295.0));
  return b;
}

} // namespace disorder::playrtp
