// The time of day, in whole seconds since the Unix epoch, as the server
// dates queue entries, plays, events and cookies.
//
// Read from std::chrono::system_clock (CLOCK_REALTIME), not with time():
// on Linux time() reads the kernel's coarse clock, which lags behind the
// precise one by a few milliseconds, and by far more while a virtual
// machine's timekeeping CPU is held up.  A scheduled event's timer is set
// by the precise clock, and clients date what they ask for by it: an event
// could otherwise be found not yet due when its timer fires, a queue entry
// made by it dated before the event, or a junk event due at startup taken
// as not yet past.
#pragma once

#include <chrono>
#include <cstdint>

namespace disorder {

inline std::int64_t wall_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace disorder
