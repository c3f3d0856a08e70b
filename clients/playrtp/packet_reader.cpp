// Non-blocking datagram reads with flow control.
#include "packet_reader.hpp"

#include "log.hpp"
#include "server/speaker/pacer.hpp"

#include <cerrno>
#include <cstring>
#include <event2/event.h>
#include <sys/socket.h>

namespace disorder::playrtp {

PacketReader::PacketReader(EventLoop& loop, int fd, Player& player)
    : fd_(fd), player_(player), buffer_(65536) {
  read_event_ = Event::io(loop, fd, EV_READ | EV_PERSIST, [this](short) { readable(); });
  recheck_timer_ = Event::timer(loop, [this](short) { recheck(); });
  read_event_->add();
}

void PacketReader::readable() {
  for (int i = 0; i < kBatch; ++i) {
    if (player_.full()) {
      read_event_->remove();
      recheck_timer_->add(std::chrono::duration_cast<std::chrono::microseconds>(kRecheck));
      return;
    }
    const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno != EINTR) log_debug(std::string("receiving RTP: ") + std::strerror(errno));
      continue;
    }
    player_.receive(std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)),
                    monotonic_ns());
  }
}

void PacketReader::recheck() {
  if (player_.full()) {
    recheck_timer_->add(std::chrono::duration_cast<std::chrono::microseconds>(kRecheck));
    return;
  }
  read_event_->add();
  readable();
}

} // namespace disorder::playrtp
