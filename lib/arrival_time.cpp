// Kernel receive timestamps, converted to the monotonic clock.
#include "arrival_time.hpp"

#include <cstring>
#include <ctime>

namespace disorder {

bool enable_arrival_timestamps(int fd) {
  const int on = 1;
  return ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
}

std::optional<std::int64_t> receive_timestamp_ns(const msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&msg)); c;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    return static_cast<std::int64_t>(stamp.tv_sec) * 1'000'000'000 + stamp.tv_nsec;
  }
  return std::nullopt;
}

std::int64_t arrival_ns(const msghdr& msg, std::int64_t now_monotonic_ns) {
  const std::optional<std::int64_t> stamp = receive_timestamp_ns(msg);
  if (!stamp) return now_monotonic_ns;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t waited =
      static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec - *stamp;
  if (waited < 0 || waited > 1'000'000'000) return now_monotonic_ns;
  return now_monotonic_ns - waited;
}

} // namespace disorder
