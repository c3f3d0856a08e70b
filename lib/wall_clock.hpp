// The time of day, in whole seconds since the Unix epoch, as the server
// dates queue entries, plays, events and cookies.
//
// Read from the precise clock (CLOCK_REALTIME), not with time(): on Linux
// time() reads the kernel's coarse clock, which lags behind the precise one
// by up to a tick, and by far more while a virtual machine's timekeeping
// CPU is held up.  A scheduled event's timer is set by the precise clock,
// and clients date what they ask for by it: an event could otherwise be
// found not yet due when its timer fires, a queue entry made by it dated
// before the event, or a junk event due at startup taken as not yet past.
#pragma once

#include <cstdint>
#include <ctime>

namespace disorder {

inline std::int64_t wall_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec);
}

} // namespace disorder
