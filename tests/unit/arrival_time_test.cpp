// Unit tests for kernel receive timestamps on the monotonic clock: a
// datagram left waiting in a real loopback socket is dated when it arrived,
// not when it was read; without a timestamp, the time of reading stands.
#include "arrival_time.hpp"

#include "fd.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <tuple>

using namespace disorder;

namespace {

std::int64_t monotonic() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct Pair {
  Fd receiver{::socket(AF_INET, SOCK_DGRAM, 0)};
  Fd sender{::socket(AF_INET, SOCK_DGRAM, 0)};
  sockaddr_in to{};
  Pair() {
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(receiver.get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    socklen_t length = sizeof to;
    EXPECT_EQ(::getsockname(receiver.get(), reinterpret_cast<sockaddr*>(&to), &length), 0);
  }
  void send() {
    ASSERT_EQ(::sendto(sender.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  }
  // Reads one datagram; returns its arrival and the time of reading.
  std::pair<std::int64_t, std::int64_t> receive() {
    char byte;
    iovec iov{&byte, 1};
    alignas(cmsghdr) std::array<char, kArrivalControlSize> control;
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    EXPECT_EQ(::recvmsg(receiver.get(), &msg, 0), 1);
    const std::int64_t now = monotonic();
    return {arrival_ns(msg, now), now};
  }
};

// A datagram sent, left waiting `wait` ns once it can be read, then read.
struct Waited {
  std::int64_t before_send, readable, arrival, read;
};
Waited send_and_wait(Pair& p, std::int64_t wait) {
  Waited w{};
  w.before_send = monotonic();
  p.send();
  // Loopback hands the datagram to the socket in the kernel's network
  // bottom half, which a busy machine may run a while after sendto():
  // the wait starts once the datagram is there to read.
  pollfd ready{p.receiver.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&ready, 1, 10'000), 1);
  w.readable = monotonic();
  while (monotonic() - w.readable < wait) {
  }
  std::tie(w.arrival, w.read) = p.receive();
  return w;
}

// The datagram waits at least this long before it is read.
constexpr std::int64_t kWait = 50'000'000;

TEST(ArrivalTime, ADatagramThatWaitedIsDatedWhenItArrived) {
  Pair p;
  ASSERT_TRUE(enable_arrival_timestamps(p.receiver.get()));
  // The kernel starts dating datagrams a little after the first socket
  // asks (from a work queue, late on a busy machine); until then it dates
  // one when it is read.  Wait for that with short probes.
  const std::int64_t deadline = monotonic() + 10'000'000'000;
  while (true) {
    const Waited probe = send_and_wait(p, 2'000'000);
    if (probe.read - probe.arrival >= 1'000'000) break;
    ASSERT_LT(monotonic(), deadline) << "the kernel never dated a datagram on arrival";
  }
  const Waited w = send_and_wait(p, kWait);
  // The bounds allow for the two clocks being read a little apart.
  EXPECT_GE(w.arrival, w.before_send - 1'000'000);
  EXPECT_LE(w.arrival, w.readable + 1'000'000);
  EXPECT_GE(w.read - w.arrival, kWait - 1'000'000);
}

TEST(ArrivalTime, WithoutATimestampTheTimeOfReadingStands) {
  Pair p; // timestamps not enabled
  p.send();
  const auto [arrival, read] = p.receive();
  EXPECT_EQ(arrival, read);
}

} // namespace
