// The position <-> local instant mapping of synchronised playout.
#include "sync_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace disorder::playrtp {

std::int64_t ClockMap::to_remote(std::int64_t local_ns) const {
  return remote_ref + std::llround(static_cast<double>(local_ns - local_ref) * remote_per_local);
}

std::int64_t ClockMap::to_local(std::int64_t remote_ns) const {
  return local_ref + std::llround(static_cast<double>(remote_ns - remote_ref) / remote_per_local);
}

LatencyChoice choose_latency(std::int64_t shared_ns, std::int64_t own_ns) {
  if (own_ns > shared_ns) return {own_ns, true};
  return {shared_ns, false};
}

SyncSchedule::SyncSchedule(const SyncAnchor& anchor, double p_sr, std::uint32_t rate)
    : anchor_(anchor), p_sr_(p_sr), rate_(rate ? rate : 1) {}

std::int64_t SyncSchedule::heard_ns(double position) const {
  // The sender's instant of `position`, a difference kept small before it
  // is added to the large absolute value.
  const double since_sr_ns = (position - p_sr_) * 1e9 / rate_;
  const std::int64_t remote = anchor_.sender_ns + std::llround(since_sr_ns) + anchor_.latency_ns;
  return anchor_.clock.to_local(remote) + anchor_.trim_ns;
}

double SyncSchedule::position_at(std::int64_t local_ns) const {
  const std::int64_t remote = anchor_.clock.to_remote(local_ns - anchor_.trim_ns);
  const auto since_sr_ns = static_cast<double>(remote - anchor_.latency_ns - anchor_.sender_ns);
  return p_sr_ + since_sr_ns * rate_ / 1e9;
}

} // namespace disorder::playrtp
