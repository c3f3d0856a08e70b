// The synchronised schedule (disorder_protocol(5), "Synchronised
// playout"): which stream position is to be HEARD at which instant of our
// monotonic clock, from the sender's latest RTCP sender report and our
// estimate of its clock.  The SR says that RTP timestamp T_sr (position
// p_sr on the StreamTracker's timeline) was the sender's instant
// sender_ns; every listener plays position p at the sender's instant
//
//     sender_ns + (p - p_sr) / rate + latency
//
// which our clock reads (ClockMap::to_local) that much plus the room's
// trim.  Each SR defines the mapping afresh (the sender re-anchors after a
// silence), so only the latest is used.  The latency is the one the
// sender states, unless this listener needs more (choose_latency()).
//
// Pure and clock-free; copied by value between threads.
#pragma once

#include <cstdint>

namespace disorder::playrtp {

// A snapshot of a ClockEstimator as a straight line: the sender's clock
// reads remote_ref when ours reads local_ref, and runs remote_per_local
// times as fast.  Good for the second or so until the next snapshot.
struct ClockMap {
  std::int64_t local_ref = 0;
  std::int64_t remote_ref = 0;
  double remote_per_local = 1.0;

  std::int64_t to_remote(std::int64_t local_ns) const;
  std::int64_t to_local(std::int64_t remote_ns) const;
  bool operator==(const ClockMap&) const = default;
};

// What the loop thread hands the jitter buffer: the latest SR of the
// followed source with its SyncTimeline, and the clock snapshot.
struct SyncAnchor {
  std::uint32_t ssrc = 0;
  std::uint32_t rtp_timestamp = 0; // the SR's, in the stream's timestamp unit
  std::int64_t sender_ns = 0;      // the sender's clock at that timestamp
  std::int64_t latency_ns = 0;     // what this listener plays at (choose_latency())
  std::int64_t trim_ns = 0;        // --trim: positive plays later
  ClockMap clock;
  bool operator==(const SyncAnchor&) const = default;
};

struct LatencyChoice {
  std::int64_t latency_ns = 0;
  bool unmet = false; // own_ns exceeded the shared latency
};
// The shared latency, or this listener's own need if larger: it then
// plays later than the others, on the same timeline, and says so.
LatencyChoice choose_latency(std::int64_t shared_ns, std::int64_t own_ns);

class SyncSchedule {
public:
  // p_sr: the SR's timestamp as a stream position (StreamTracker::position_of).
  SyncSchedule(const SyncAnchor& anchor, double p_sr, std::uint32_t rate);

  // The local instant at which position p is to be heard.
  std::int64_t heard_ns(double position) const;
  // The (fractional) position to be heard at local instant local_ns.
  double position_at(std::int64_t local_ns) const;

  const SyncAnchor& anchor() const { return anchor_; }

private:
  SyncAnchor anchor_;
  double p_sr_;
  double rate_;
};

} // namespace disorder::playrtp
