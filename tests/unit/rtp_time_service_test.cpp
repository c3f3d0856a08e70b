// The rtp backend's time service (lib/audio/rtp_time_service.hpp) on real
// loopback sockets: it answers a clock request with t1 echoed and its own
// t2 <= t3 (one host: within the requester's t1..t4), ignores what is not
// a request, and hands a listener's receiver report to the queue; and it
// stops when destroyed.  The Opus stream's reports set the FEC hint.
#include "audio/listener_report_queue.hpp"
#include "audio/pacer.hpp"
#include "audio/rtp_time_service.hpp"
#include "fd.hpp"
#include "rtcp.hpp"
#include "time_exchange.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <vector>

using namespace disorder;

namespace {

Fd udp_socket(sockaddr_in& bound) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd);
  bound = {};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  socklen_t len = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  return fd;
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

void send_to(int fd, std::span<const std::uint8_t> data, const sockaddr_in& to) {
  ASSERT_EQ(
      ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(data.size()));
}

} // namespace

TEST(RtpTimeService, AnswersRequestsOnlyAndPassesOnReports) {
  sockaddr_in service_address, client_address;
  Fd service_socket = udp_socket(service_address);
  Fd client = udp_socket(client_address);
  ListenerReportQueue queue;
  const std::uint32_t ssrc = 0x5eed;
  const int fds[] = {service_socket.get()};
  {
    RtpTimeService service(
        fds, ssrc, [](const sockaddr*, socklen_t) { return 44100u; }, queue);

    // Not requests: an answer, a request one byte short, garbage.
    std::array<std::uint8_t, kTimePacketSize> packet;
    encode_time_answer(TimeAnswer{1, 2, 3}, packet);
    send_to(client.get(), packet, service_address);
    encode_time_request(TimeRequest{5}, packet);
    send_to(client.get(), std::span(packet).first(kTimePacketSize - 1), service_address);
    const std::uint8_t garbage[] = {0x80, 0xc9, 0, 1, 2, 3, 4};
    send_to(client.get(), garbage, service_address);

    const std::int64_t t1 = monotonic_ns();
    encode_time_request(TimeRequest{t1}, packet);
    send_to(client.get(), packet, service_address);
    ASSERT_TRUE(readable(client.get(), 5000));
    std::array<std::uint8_t, 100> in;
    const ssize_t n = ::recv(client.get(), in.data(), in.size(), 0);
    const std::int64_t t4 = monotonic_ns();
    // The first datagram back answers the good request.
    ASSERT_EQ(n, static_cast<ssize_t>(kTimePacketSize));
    const auto answer = decode_time_answer(std::span(in).first(kTimePacketSize));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->t1, t1);
    EXPECT_LE(t1, answer->t2);
    EXPECT_LE(answer->t2, answer->t3);
    EXPECT_LE(answer->t3, t4);

    // A receiver report about our stream.
    RtcpReportBlock block;
    block.ssrc = ssrc;
    block.jitter = 4410;
    std::array<std::uint8_t, 512> rr;
    const std::size_t size =
        encode_rtcp_receiver_report(9, std::span(&block, 1), "ear@hall", nullptr, rr);
    send_to(client.get(), std::span(rr).first(size), service_address);
    ASSERT_TRUE(readable(queue.fd(), 5000));
    std::vector<ListenerReport> reports;
    ASSERT_TRUE(queue.take(reports));
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(
        reports[0],
        (ListenerReport{"127.0.0.1:" + std::to_string(ntohs(client_address.sin_port)), "ear@hall",
                        "synchronised", "no", "loss", "0.00", "jitter", "100.000"}));
  }
  // Stopped: requests go unanswered.
  std::array<std::uint8_t, kTimePacketSize> packet;
  encode_time_request(TimeRequest{1}, packet);
  send_to(client.get(), packet, service_address);
  EXPECT_FALSE(readable(client.get(), 200));
}

// The Opus stream's reports: kept with its 48 kHz units, and the worst
// fraction lost among its listeners becomes the encoder's FEC hint.
TEST(RtpTimeService, OpusReportsSetTheWorstLoss) {
  sockaddr_in service_address, first_address, second_address;
  Fd service_socket = udp_socket(service_address);
  Fd first = udp_socket(first_address);
  Fd second = udp_socket(second_address);
  ListenerReportQueue queue;
  std::atomic<int> worst{-1};
  const std::uint32_t ssrc = 0x5eed, opus_ssrc = 0x0905;
  const int fds[] = {service_socket.get()};
  RtpTimeService service(
      fds, ssrc, [](const sockaddr*, socklen_t) { return 44100u; }, queue,
      RtpTimeService::OpusReports{opus_ssrc, 48000, &worst});
  auto report = [&](int from, std::uint8_t fraction, std::uint32_t about) {
    RtcpReportBlock block;
    block.ssrc = about;
    block.fraction_lost = fraction;
    block.jitter = 4800;
    std::array<std::uint8_t, 512> rr;
    const std::size_t size =
        encode_rtcp_receiver_report(9, std::span(&block, 1), "ear@hall", nullptr, rr);
    send_to(from, std::span(rr).first(size), service_address);
    // The hint is set before the report is handed on.
    EXPECT_TRUE(readable(queue.fd(), 5000));
    std::vector<ListenerReport> reports;
    EXPECT_TRUE(queue.take(reports));
    return reports;
  };
  // 64/256 lost: 25%, and the jitter in 48 kHz units (100 ms).
  const auto reports = report(first.get(), 64, opus_ssrc);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0][6], "jitter");
  EXPECT_EQ(reports[0][7], "100.000");
  EXPECT_EQ(worst.load(), 25);
  // A second listener that loses less leaves the worst as it is.
  report(second.get(), 26, opus_ssrc);
  EXPECT_EQ(worst.load(), 25);
  // A report about the L16 stream does not count.
  sockaddr_in third_address;
  Fd third = udp_socket(third_address);
  report(third.get(), 255, ssrc);
  EXPECT_EQ(worst.load(), 25);
}
