// recvmmsg with kernel receive timestamps.
#include "packet_reader.hpp"

#include "arrival_time.hpp"
#include "log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace disorder::playrtp {

namespace {

std::int64_t to_ns(const timespec& ts) {
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

} // namespace

PacketReader::PacketReader(int fd)
    : fd_(fd), data_(new std::uint8_t[kBatch * kMaxDatagram]), messages_{}, iov_{}, control_{},
      arrival_ns_{} {
  if (!enable_arrival_timestamps(fd_))
    log_debug(std::string("SO_TIMESTAMPNS: ") + std::strerror(errno) +
              " (arrival times are when datagrams are read)");
}

std::span<const std::uint8_t> PacketReader::datagram(std::size_t i) const {
  return {data_.get() + i * kMaxDatagram, messages_[i].msg_len};
}

std::size_t PacketReader::read() {
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov_[i].iov_base = data_.get() + i * kMaxDatagram;
    iov_[i].iov_len = kMaxDatagram;
    msghdr& h = messages_[i].msg_hdr;
    h = msghdr{};
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = control_[i];
    h.msg_controllen = sizeof control_[i];
  }
  int n;
  while ((n = ::recvmmsg(fd_, messages_, kBatch, MSG_DONTWAIT, nullptr)) < 0) {
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      log_debug(std::string("receiving RTP: ") + std::strerror(errno));
    return 0;
  }
  // The kernel's stamps are CLOCK_REALTIME: move them onto the monotonic
  // clock by the clocks' present difference.  A stamp from before a step
  // of the real-time clock could land in the future; none is later than now.
  timespec real{}, mono{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  ::clock_gettime(CLOCK_MONOTONIC, &mono);
  const std::int64_t now = to_ns(mono), offset = to_ns(real) - now;
  for (int i = 0; i < n; ++i) {
    arrival_ns_[i] = now;
    if (const auto stamp = receive_timestamp_ns(messages_[i].msg_hdr))
      arrival_ns_[i] = std::min(now, *stamp - offset);
  }
  return static_cast<std::size_t>(n);
}

} // namespace disorder::playrtp
