// Listeners' reports on their way to rtp-listeners: the sender's table
// (lib/audio/listener_report_table.hpp: which reports count, the figures,
// the rate limit, the bound), disorderd's store
// (server/rtp_listener_reports.hpp: latest per listener, expiry, bound)
// and the address format both use.
#include "audio/listener_report_table.hpp"
#include "server/rtp_listener_reports.hpp"
#include "socket_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <map>
#include <string>
#include <vector>

using namespace disorder;

namespace {

constexpr std::uint32_t kOurSsrc = 0xabcd0123;
constexpr std::int64_t kSecond = 1'000'000'000;

RtcpCompound rr(std::string_view cname, std::uint32_t about = kOurSsrc) {
  RtcpCompound c;
  c.reporter_ssrc = 77;
  c.blocks[0].ssrc = about;
  c.blocks[0].fraction_lost = 64;
  c.blocks[0].cumulative_lost = 3;
  c.blocks[0].highest_sequence = 70000;
  c.blocks[0].jitter = 441;
  c.block_count = 1;
  c.cname = cname;
  c.cname_ssrc = 77;
  return c;
}

std::map<std::string, std::string> figures_of(const ListenerReport& r) {
  std::map<std::string, std::string> m;
  for (std::size_t i = 2; i + 1 < r.size(); i += 2)
    m[r[i]] = r[i + 1];
  return m;
}

} // namespace

TEST(ListenerReportTable, KeepsReceiverReportsAboutOurStreamWithACname) {
  ListenerReportTable t;
  EXPECT_FALSE(t.note("1.2.3.4:5", rr("a@b", kOurSsrc + 1), kOurSsrc, 44100, 0));
  RtcpCompound no_cname = rr("a@b");
  no_cname.cname.reset();
  EXPECT_FALSE(t.note("1.2.3.4:5", no_cname, kOurSsrc, 44100, 0));
  RtcpCompound sr = rr("a@b");
  sr.sender = RtcpSenderInfo{};
  EXPECT_FALSE(t.note("1.2.3.4:5", sr, kOurSsrc, 44100, 0));
  RtcpCompound second_block = rr("a@b", 5);
  second_block.blocks[1] = rr("a@b").blocks[0];
  second_block.block_count = 2;
  EXPECT_TRUE(t.note("1.2.3.4:5", second_block, kOurSsrc, 44100, 0));
  EXPECT_EQ(t.size(), 1u);
}

TEST(ListenerReportTable, FiguresWithAndWithoutASyncReport) {
  ListenerReportTable t;
  RtcpCompound c = rr("ear@kitchen");
  SyncReport s;
  s.flags = SyncReport::kSynchronised;
  s.clock_uncertainty_ns = 40000;
  s.playout_error_ns = -250000;
  s.drift_ppb = -12345;
  s.buffer_us = 95000;
  s.latency_us = 100000;
  s.concealed_frames = 7;
  s.output_delay_us = 12000;
  c.sync_report = s;
  ASSERT_TRUE(t.note("[::1]:5007", c, kOurSsrc, 44100, 10));
  std::vector<ListenerReport> due;
  t.take_due(10, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0][0], "[::1]:5007");
  EXPECT_EQ(due[0][1], "ear@kitchen");
  EXPECT_EQ(figures_of(due[0]), (std::map<std::string, std::string>{{"synchronised", "yes"},
                                                                    {"loss", "25.00"},
                                                                    {"jitter", "10.000"},
                                                                    {"error", "-0.250"},
                                                                    {"uncertainty", "0.040"},
                                                                    {"drift", "-12.345"},
                                                                    {"buffer", "95.0"},
                                                                    {"latency", "100.0"},
                                                                    {"concealed", "7"},
                                                                    {"output-delay", "12.0"}}));
  // Without one: not synchronised, and the network figures only.  The
  // loss now counts from the first report: 10 lost of 1000.
  RtcpCompound later = rr("ear@kitchen");
  later.blocks[0].cumulative_lost = 13;
  later.blocks[0].highest_sequence = 71000;
  later.blocks[0].jitter = 88200; // samples of two channels: 1 s
  ASSERT_TRUE(t.note("[::1]:5007", later, kOurSsrc, 88200, 2 * kSecond));
  due.clear();
  t.take_due(2 * kSecond, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(figures_of(due[0]),
            (std::map<std::string, std::string>{
                {"synchronised", "no"}, {"loss", "1.00"}, {"jitter", "1000.000"}}));
}

TEST(ListenerReportTable, AtMostOneReportASecondPerListenerTheLatestWinning) {
  ListenerReportTable t;
  std::vector<ListenerReport> due;
  EXPECT_FALSE(t.next_due_ns());
  RtcpCompound c = rr("a@b");
  t.note("1.2.3.4:5", c, kOurSsrc, 44100, 100);
  EXPECT_EQ(t.next_due_ns(), 100);
  t.take_due(100, due);
  EXPECT_EQ(due.size(), 1u);
  EXPECT_FALSE(t.next_due_ns());
  for (std::uint32_t jitter : {882u, 1323u}) {
    c.blocks[0].jitter = jitter;
    t.note("1.2.3.4:5", c, kOurSsrc, 44100, 200);
  }
  EXPECT_EQ(t.next_due_ns(), 100 + ListenerReportTable::kMinIntervalNs);
  due.clear();
  t.take_due(100 + ListenerReportTable::kMinIntervalNs - 1, due);
  EXPECT_TRUE(due.empty());
  t.take_due(100 + ListenerReportTable::kMinIntervalNs, due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(figures_of(due[0])["jitter"], "30.000");
  // Another listener (same address, another CNAME) has its own limit.
  t.note("1.2.3.4:5", rr("c@d"), kOurSsrc, 44100, 300);
  due.clear();
  t.take_due(300, due);
  EXPECT_EQ(due.size(), 1u);
}

TEST(ListenerReportTable, HoldsAtMost64ListenersForgettingTheLongestSilent) {
  ListenerReportTable t;
  for (int i = 0; i < 100; ++i)
    t.note("10.0.0.1:" + std::to_string(i), rr("x@y"), kOurSsrc, 44100, i);
  EXPECT_EQ(t.size(), ListenerReportTable::kMaxListeners);
  std::vector<ListenerReport> due;
  t.take_due(1000, due);
  ASSERT_EQ(due.size(), ListenerReportTable::kMaxListeners);
  for (const ListenerReport& r : due)
    EXPECT_GE(std::stoi(r[0].substr(r[0].find(':') + 1)), 36) << r[0];
}

TEST(ListenerReportTable, CnamesAreMadePrintable) {
  EXPECT_EQ(printable_cname("ear@kitchen"), "ear@kitchen");
  EXPECT_EQ(printable_cname(std::string_view("a b\n\x01\xff", 6)), "a?b???");
  EXPECT_EQ(printable_cname(""), "-");
}

TEST(AddressAndPort, Ipv4Ipv6AndMapped) {
  sockaddr_in a4{};
  a4.sin_family = AF_INET;
  a4.sin_port = htons(5006);
  inet_pton(AF_INET, "192.168.1.20", &a4.sin_addr);
  EXPECT_EQ(address_and_port(reinterpret_cast<sockaddr*>(&a4), sizeof a4), "192.168.1.20:5006");
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(5007);
  inet_pton(AF_INET6, "fe80::1", &a6.sin6_addr);
  EXPECT_EQ(address_and_port(reinterpret_cast<sockaddr*>(&a6), sizeof a6), "[fe80::1]:5007");
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &a6.sin6_addr);
  EXPECT_EQ(address_and_port(reinterpret_cast<sockaddr*>(&a6), sizeof a6), "10.1.2.3:5007");
}

TEST(RtpListenerReports, LatestPerListenerWithItsAgeUntilSilentFor30Seconds) {
  using Clock = RtpListenerReports::Clock;
  RtpListenerReports r;
  const Clock::time_point t0{};
  const std::vector<std::string> report{"1.2.3.4:5007", "ear@kitchen", "loss", "1.00"};
  EXPECT_TRUE(r.update(report, t0));
  EXPECT_TRUE(r.update(std::vector<std::string>{"1.2.3.4:5007", "ear@kitchen", "loss", "2.00"},
                       t0 + std::chrono::seconds(5)));
  EXPECT_TRUE(r.update(std::vector<std::string>{"0.0.0.9:1", "a@b"}, t0 + std::chrono::seconds(6)));
  // Malformed: a key without a value, nothing at all.
  EXPECT_FALSE(r.update(std::vector<std::string>{"1.2.3.4:5007", "x@y", "loss"}, t0));
  EXPECT_FALSE(r.update(std::vector<std::string>{"1.2.3.4:5007"}, t0));
  const auto lines = r.list(t0 + std::chrono::seconds(10));
  EXPECT_EQ(lines, (std::vector<std::vector<std::string>>{
                       {"0.0.0.9:1", "a@b", "age", "4"},
                       {"1.2.3.4:5007", "ear@kitchen", "loss", "2.00", "age", "5"}}));
  EXPECT_EQ(r.list(t0 + std::chrono::seconds(35)).size(), 1u);
  EXPECT_TRUE(r.list(t0 + std::chrono::seconds(36)).empty());
}

TEST(RtpListenerReports, HoldsAtMost64) {
  using Clock = RtpListenerReports::Clock;
  RtpListenerReports r;
  for (int i = 0; i < 70; ++i)
    r.update(std::vector<std::string>{"10.0.0.1:" + std::to_string(i), "x"},
             Clock::time_point{} + std::chrono::milliseconds(i));
  EXPECT_EQ(r.size(), RtpListenerReports::kMaxListeners);
  for (const auto& line : r.list(Clock::time_point{} + std::chrono::seconds(1)))
    EXPECT_GE(std::stoi(line[0].substr(line[0].find(':') + 1)), 6) << line[0];
}
