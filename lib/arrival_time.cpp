// Kernel receive timestamps, converted to the monotonic clock.
#include "arrival_time.hpp"

#include <cstring>
#include <ctime>

namespace disorder {

bool enable_arrival_timestamps(int fd) {
  const int on = 1;
  return ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
}

std::int64_t arrival_ns(const msghdr& msg, std::int64_t now_monotonic_ns) {
  for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&msg)); c;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const std::int64_t waited =
        (static_cast<std::int64_t>(now.tv_sec) - stamp.tv_sec) * 1'000'000'000 +
        (now.tv_nsec - stamp.tv_nsec);
    if (waited < 0 || waited > 1'000'000'000) return now_monotonic_ns;
    return now_monotonic_ns - waited;
  }
  return now_monotonic_ns;
}

} // namespace disorder
