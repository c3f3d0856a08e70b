// Unit tests for RTCP: the exact bytes of a sender report with its CNAME,
// and of a receiver report and disorder's "DSYN" APP packets, round trips
// through the decoder, NTP time conversion, and the compound packets a
// listener must refuse or whose APP packets it must skip.
#include "rtcp.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace disorder;

namespace {

RtcpSenderInfo sample_sender() {
  RtcpSenderInfo s;
  s.ssrc = 0x01020304;
  s.ntp = 0xe8a1b2c3'80000000ull;
  s.rtp_timestamp = 0x89abcdef;
  s.packet_count = 1000;
  s.octet_count = 1460000;
  return s;
}

std::vector<std::uint8_t> sender_report(const RtcpSenderInfo& s, std::string_view cname) {
  std::vector<std::uint8_t> out(rtcp_sender_report_size(cname.size()));
  EXPECT_EQ(encode_rtcp_sender_report(s, cname, out), out.size());
  return out;
}

void put16(std::vector<std::uint8_t>& v, std::size_t at, std::uint16_t x) {
  v[at] = static_cast<std::uint8_t>(x >> 8);
  v[at + 1] = static_cast<std::uint8_t>(x);
}

} // namespace

TEST(Rtcp, SenderReportAndCnameAreNetworkByteOrderFieldByField) {
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      // SR: V=2 P=0 RC=0, PT=200, length 6 (seven words)
      0x80, 200, 0x00, 0x06,
      0x01, 0x02, 0x03, 0x04,              // SSRC
      0xe8, 0xa1, 0xb2, 0xc3,              // NTP seconds
      0x80, 0x00, 0x00, 0x00,              // NTP fraction (half a second)
      0x89, 0xab, 0xcd, 0xef,              // RTP timestamp
      0x00, 0x00, 0x03, 0xe8,              // packets: 1000
      0x00, 0x16, 0x47, 0x20,              // octets: 1460000
      // SDES: V=2 P=0 SC=1, PT=202, length 3 (four words)
      0x81, 202, 0x00, 0x03,
      0x01, 0x02, 0x03, 0x04,              // SSRC
      0x01, 0x05, 'a', '@', 'b', '.', 'c', // CNAME, 5 octets
      0x00,                                // end of list, which is also the padding here
  };
  // clang-format on
  EXPECT_EQ(sender_report(sample_sender(), "a@b.c"), expected);
}

TEST(Rtcp, SdesChunkIsPaddedWithNullsToAWordBoundary) {
  // 4 (SSRC) + 2 + 2 + at least one null = 9, padded to 12.
  const auto out = sender_report(sample_sender(), "ab");
  ASSERT_EQ(out.size(), 28u + 4 + 12);
  EXPECT_EQ(out[28 + 3], 3); // length in words minus one
  EXPECT_EQ(out[28 + 8], kSdesCname);
  EXPECT_EQ(out[28 + 9], 2);
  for (std::size_t i = 28 + 12; i < out.size(); ++i)
    EXPECT_EQ(out[i], 0) << i;
  // A CNAME that fills its words exactly still gets a whole word of nulls.
  EXPECT_EQ(sender_report(sample_sender(), "abcdef").size(), 28u + 4 + 16);
}

TEST(Rtcp, SenderReportRoundTrip) {
  const RtcpSenderInfo s = sample_sender();
  for (std::string cname :
       {std::string("x"), std::string("disorder@host.example"), std::string(kSdesItemMax, 'n')}) {
    const auto out = sender_report(s, cname);
    EXPECT_EQ(out.size() % 4, 0u);
    const auto c = decode_rtcp_compound(out);
    ASSERT_TRUE(c) << cname;
    ASSERT_TRUE(c->sender);
    EXPECT_EQ(*c->sender, s);
    EXPECT_EQ(c->reporter_ssrc, s.ssrc);
    EXPECT_EQ(c->block_count, 0u);
    ASSERT_TRUE(c->cname);
    EXPECT_EQ(*c->cname, cname);
    EXPECT_EQ(c->cname_ssrc, s.ssrc);
    EXPECT_FALSE(c->bye);
  }
}

TEST(Rtcp, ByeRoundTrip) {
  const RtcpSenderInfo s = sample_sender();
  std::vector<std::uint8_t> out(rtcp_bye_size(4));
  ASSERT_EQ(encode_rtcp_bye(s, "host", out), out.size());
  const auto c = decode_rtcp_compound(out);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c->sender, s);
  EXPECT_EQ(*c->cname, "host");
  EXPECT_TRUE(c->bye);
  EXPECT_EQ(c->bye_ssrc, s.ssrc);
}

TEST(Rtcp, EncoderRefusesBadCnamesAndSmallBuffers) {
  std::vector<std::uint8_t> out(1024);
  EXPECT_THROW(encode_rtcp_sender_report(sample_sender(), "", out), Error);
  EXPECT_THROW(encode_rtcp_sender_report(sample_sender(), std::string(256, 'x'), out), Error);
  std::vector<std::uint8_t> small(rtcp_sender_report_size(4) - 1);
  EXPECT_THROW(encode_rtcp_sender_report(sample_sender(), "host", small), Error);
  std::vector<std::uint8_t> small_bye(rtcp_bye_size(4) - 1);
  EXPECT_THROW(encode_rtcp_bye(sample_sender(), "host", small_bye), Error);
}

TEST(Rtcp, ReceiverReportWithBlocksAndUnknownPacketsDecode) {
  // RR from 0x11111111 with one block, then an APP packet, then SDES.
  std::vector<std::uint8_t> d = {
      0x81, 201, 0x00, 0x07, 0x11, 0x11, 0x11, 0x11,
      // block: SSRC, fraction 0x40, cumulative -2, highest seq, jitter, LSR, DLSR
      0x01, 0x02, 0x03, 0x04, 0x40, 0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00,
      0x20, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x01, 0x80, 0x00,
      // APP: subtype 0, name "test", no data
      0x80, 204, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 't', 'e', 's', 't',
      // SDES with a NAME item before the CNAME
      0x81, 202, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x02, 0x01, 'N', 0x01, 0x01, 'h', 0x00, 0x00};
  const auto c = decode_rtcp_compound(d);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->sender);
  EXPECT_EQ(c->reporter_ssrc, 0x11111111u);
  ASSERT_EQ(c->block_count, 1u);
  const RtcpReportBlock& b = c->blocks[0];
  EXPECT_EQ(b.ssrc, 0x01020304u);
  EXPECT_EQ(b.fraction_lost, 0x40);
  EXPECT_EQ(b.cumulative_lost, -2);
  EXPECT_EQ(b.highest_sequence, 0x00010010u);
  EXPECT_EQ(b.jitter, 0x20u);
  EXPECT_EQ(b.last_sr, 0xa1b2c3d4u);
  EXPECT_EQ(b.delay_since_last_sr, 0x00018000u);
  ASSERT_TRUE(c->cname);
  EXPECT_EQ(*c->cname, "h");
}

TEST(Rtcp, PaddingOnTheLastPacketIsRemoved) {
  auto d = sender_report(sample_sender(), "a@b.c");
  // Pad the SDES packet by four octets: P set, length one more word.
  d[28] |= 0x20;
  put16(d, 30, 4);
  d.insert(d.end(), {0, 0, 0, 4});
  const auto c = decode_rtcp_compound(d);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c->cname, "a@b.c");
}

TEST(Rtcp, MalformedCompoundPacketsAreRefused) {
  const auto good = sender_report(sample_sender(), "a@b.c");
  ASSERT_TRUE(decode_rtcp_compound(good));
  auto bad = [&](auto change) {
    auto d = good;
    change(d);
    return !decode_rtcp_compound(d);
  };
  EXPECT_FALSE(decode_rtcp_compound({}));
  EXPECT_TRUE(bad([](auto& d) { d[0] = 0x40; }));     // version 1
  EXPECT_TRUE(bad([](auto& d) { d[28] = 0xc1; }));    // version 3 in the second packet
  EXPECT_TRUE(bad([](auto& d) { d[1] = 202; }));      // starts with SDES
  EXPECT_TRUE(bad([](auto& d) { d[1] = 203; }));      // starts with BYE
  EXPECT_TRUE(bad([](auto& d) { d[0] |= 0x20; }));    // padding on the first packet
  EXPECT_TRUE(bad([](auto& d) { put16(d, 2, 7); }));  // SR length runs into the SDES
  EXPECT_TRUE(bad([](auto& d) { put16(d, 2, 5); }));  // SR shorter than its sender info
  EXPECT_TRUE(bad([](auto& d) { d[0] |= 1; }));       // a report block that is not there
  EXPECT_TRUE(bad([](auto& d) { put16(d, 30, 4); })); // SDES longer than the datagram
  EXPECT_TRUE(bad([](auto& d) { d.push_back(0); }));  // a stray octet after the last packet
  EXPECT_TRUE(bad([](auto& d) { d[37] = 7; }));       // CNAME runs past its packet
  EXPECT_TRUE(bad([](auto& d) { d[28] = 0x82; }));    // two chunks, only one there
  EXPECT_TRUE(bad([](auto& d) {                       // no end-of-list item
    d[28 + 8 + 2 + 5] = kSdesCname;
  }));
  EXPECT_TRUE(bad([](auto& d) { // padding longer than the packet
    d[28] |= 0x20;
    d.back() = 200;
  }));
  EXPECT_TRUE(bad([](auto& d) { // padding count zero
    d[28] |= 0x20;
    d.back() = 0;
  }));
  // A BYE whose reason runs past its end.
  EXPECT_TRUE(bad([](auto& d) {
    d.insert(d.end(), {0x81, 203, 0x00, 0x02, 1, 2, 3, 4, 9, 'x', 'y', 'z'});
  }));
  EXPECT_FALSE(bad([](auto& d) { // and one whose reason fits
    d.insert(d.end(), {0x81, 203, 0x00, 0x02, 1, 2, 3, 4, 3, 'x', 'y', 'z'});
  }));
}

TEST(Rtcp, EveryTruncationInsideAPacketIsRefused) {
  std::vector<std::uint8_t> d(rtcp_bye_size(9));
  encode_rtcp_bye(sample_sender(), "a@b.c.d.e", d);
  ASSERT_TRUE(decode_rtcp_compound(d));
  const std::size_t sr = 28, sdes = sr + 4 + 16;
  for (std::size_t n = 0; n < d.size(); ++n) {
    const auto c = decode_rtcp_compound(std::span(d.data(), n));
    if (n == sr || n == sdes)
      EXPECT_TRUE(c) << n; // whole packets: a shorter but valid compound packet
    else
      EXPECT_FALSE(c) << n;
  }
}

TEST(Rtcp, ArbitraryBytesNeverCrashTheDecoder) {
  // Every one-octet change of a valid packet, to every value: whatever the
  // decoder answers, it must stay inside the buffer (as a sanitizer build
  // would show) and any CNAME it returns must point into the input.
  auto d = sender_report(sample_sender(), "disorder@host");
  for (std::size_t i = 0; i < d.size(); ++i) {
    const std::uint8_t saved = d[i];
    for (int v = 0; v < 256; ++v) {
      d[i] = static_cast<std::uint8_t>(v);
      if (const auto c = decode_rtcp_compound(d); c && c->cname) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(c->cname->data());
        EXPECT_GE(p, d.data());
        EXPECT_LE(p + c->cname->size(), d.data() + d.size());
      }
    }
    d[i] = saved;
  }
}

TEST(Rtcp, NtpTimeFromUnixTime) {
  // The Unix epoch is 2208988800 s after the NTP epoch.
  EXPECT_EQ(ntp_from_unix_ns(0), 2208988800ull << 32);
  EXPECT_EQ(ntp_from_unix_ns(500000000), 2208988800ull << 32 | 0x80000000u);
  // 2024-01-01T00:00:00.25Z
  const std::int64_t t = 1704067200ll * 1000000000 + 250000000;
  EXPECT_EQ(ntp_from_unix_ns(t), (1704067200ull + 2208988800) << 32 | 0x40000000u);
  EXPECT_EQ(ntp_middle32(ntp_from_unix_ns(t)),
            static_cast<std::uint32_t>(((1704067200ull + 2208988800) & 0xffff) << 16 | 0x4000));
  // Rounded to the nearest fraction, never into the next second.
  EXPECT_EQ(ntp_from_unix_ns(999999999ll), 2208988800ull << 32 | 0xfffffffcu);
  EXPECT_EQ(ntp_from_unix_ns(-1), (2208988800ull - 1) << 32 | 0xfffffffcu);
}

TEST(Rtcp, NtpTimeRoundTripsToTheNanosecondAcrossThe2036Wrap) {
  const std::int64_t wrap = (std::int64_t{1} << 32) - 2208988800; // 2036-02-07T06:28:16Z
  for (std::int64_t s : {std::int64_t{0}, std::int64_t{1704067200}, wrap - 1, wrap, wrap + 1,
                         std::int64_t{4102444800} /* 2100 */}) {
    for (std::int64_t ns : {0, 1, 123456789, 999999999}) {
      const std::int64_t t = s * 1000000000 + ns;
      EXPECT_EQ(unix_ns_from_ntp(ntp_from_unix_ns(t)), t) << s << " " << ns;
    }
  }
  EXPECT_EQ(ntp_from_unix_ns(wrap * 1000000000) >> 32, 0u);
}

// ------------------------------------------------------ synchronised playout

namespace {

SyncTimeline sample_timeline() {
  SyncTimeline t;
  t.sender_ns = 0x0102030405060708;
  t.latency_us = 100000;
  t.flags = 0;
  return t;
}

SyncReport sample_report() {
  SyncReport r;
  r.flags = SyncReport::kSynchronised | SyncReport::kLatencyUnmet;
  r.clock_uncertainty_ns = 12345;
  r.playout_error_ns = -250000;
  r.drift_ppb = -499000;
  r.buffer_us = 80000;
  r.latency_us = 120000;
  r.concealed_frames = 7;
  r.output_delay_us = 20000;
  return r;
}

RtcpReportBlock sample_block(std::uint32_t ssrc) {
  RtcpReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = 3;
  b.cumulative_lost = -5;
  b.highest_sequence = 0x00020001;
  b.jitter = 44;
  b.last_sr = 0xa1b2c3d4;
  b.delay_since_last_sr = 0x18000;
  return b;
}

std::vector<std::uint8_t> receiver_report(std::uint32_t ssrc,
                                          const std::vector<RtcpReportBlock>& blocks,
                                          std::string_view cname, const SyncReport* report) {
  std::vector<std::uint8_t> out(rtcp_receiver_report_size(blocks.size(), cname.size(), report));
  EXPECT_EQ(encode_rtcp_receiver_report(ssrc, blocks, cname, report, out), out.size());
  return out;
}

} // namespace

TEST(RtcpSync, TimelineFollowsTheSdesFieldByField) {
  std::vector<std::uint8_t> out(rtcp_sender_report_size(5) + kSyncTimelineSize);
  ASSERT_EQ(encode_rtcp_sender_report(sample_sender(), "a@b.c", sample_timeline(), out),
            out.size());
  // The SR and SDES are those of the plain sender report.
  const auto plain = sender_report(sample_sender(), "a@b.c");
  ASSERT_EQ(out.size(), plain.size() + 28);
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), out.begin()));
  // clang-format off
  const std::vector<std::uint8_t> app = {
      // APP: V=2 P=0 subtype 0, PT=204, length 6 (seven words)
      0x80, 204, 0x00, 0x06,
      0x01, 0x02, 0x03, 0x04,                         // SSRC, the sender's
      'D', 'S', 'Y', 'N',                             // name
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // sender_ns
      0x00, 0x01, 0x86, 0xa0,                         // latency_us: 100000
      0x00, 0x00, 0x00, 0x00,                         // flags
  };
  // clang-format on
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + plain.size(), out.end()), app);
}

TEST(RtcpSync, SenderReportAndByeWithTimelineRoundTrip) {
  const RtcpSenderInfo s = sample_sender();
  for (std::int64_t ns : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1'000'000'000'000'000},
                          std::numeric_limits<std::int64_t>::min()}) {
    SyncTimeline t = sample_timeline();
    t.sender_ns = ns;
    t.flags = 0x80000001;
    std::vector<std::uint8_t> out(rtcp_sender_report_size(4) + kSyncTimelineSize);
    ASSERT_EQ(encode_rtcp_sender_report(s, "host", t, out), out.size());
    auto c = decode_rtcp_compound(out);
    ASSERT_TRUE(c);
    EXPECT_EQ(*c->sender, s);
    EXPECT_EQ(*c->cname, "host");
    ASSERT_TRUE(c->timeline);
    EXPECT_EQ(*c->timeline, t);
    EXPECT_FALSE(c->sync_report);
    EXPECT_FALSE(c->bye);

    std::vector<std::uint8_t> bye(rtcp_bye_size(4) + kSyncTimelineSize);
    ASSERT_EQ(encode_rtcp_bye(s, "host", t, bye), bye.size());
    // The BYE comes last.
    EXPECT_EQ(bye[bye.size() - 8 + 1], kRtcpBye);
    c = decode_rtcp_compound(bye);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->bye);
    EXPECT_EQ(c->bye_ssrc, s.ssrc);
    ASSERT_TRUE(c->timeline);
    EXPECT_EQ(*c->timeline, t);
  }
  // Without the timeline, none is decoded.
  EXPECT_FALSE(decode_rtcp_compound(sender_report(s, "host"))->timeline);
}

TEST(RtcpSync, ReceiverReportWithSyncReportFieldByField) {
  const SyncReport r = sample_report();
  const auto out = receiver_report(0x11223344, {sample_block(0x01020304)}, "ab", &r);
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      // RR: V=2 P=0 RC=1, PT=201, length 7
      0x81, 201, 0x00, 0x07,
      0x11, 0x22, 0x33, 0x44,             // SSRC, the listener's
      0x01, 0x02, 0x03, 0x04,             // about this source
      0x03, 0xff, 0xff, 0xfb,             // fraction lost, cumulative lost -5
      0x00, 0x02, 0x00, 0x01,             // extended highest sequence
      0x00, 0x00, 0x00, 0x2c,             // jitter
      0xa1, 0xb2, 0xc3, 0xd4,             // LSR
      0x00, 0x01, 0x80, 0x00,             // DLSR
      // SDES: SC=1, length 3
      0x81, 202, 0x00, 0x03,
      0x11, 0x22, 0x33, 0x44,
      0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00,
      // APP: subtype 1, length 10 (eleven words)
      0x81, 204, 0x00, 0x0a,
      0x11, 0x22, 0x33, 0x44,
      'D', 'S', 'Y', 'N',
      0x00, 0x00, 0x00, 0x03,             // flags
      0x00, 0x00, 0x30, 0x39,             // clock uncertainty: 12345 ns
      0xff, 0xfc, 0x2f, 0x70,             // playout error: -250000 ns
      0xff, 0xf8, 0x62, 0xc8,             // drift: -499000 ppb
      0x00, 0x01, 0x38, 0x80,             // buffer: 80000 us
      0x00, 0x01, 0xd4, 0xc0,             // latency: 120000 us
      0x00, 0x00, 0x00, 0x07,             // concealed frames
      0x00, 0x00, 0x4e, 0x20,             // output delay: 20000 us
  };
  // clang-format on
  EXPECT_EQ(out, expected);
}

TEST(RtcpSync, ReceiverReportRoundTrip) {
  const SyncReport r = sample_report();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, kRtcpMaxReportBlocks}) {
    std::vector<RtcpReportBlock> blocks;
    for (std::size_t i = 0; i < n; ++i) {
      blocks.push_back(sample_block(static_cast<std::uint32_t>(1000 + i)));
      blocks.back().cumulative_lost = static_cast<std::int32_t>(i) * 1000 - 3;
    }
    for (const SyncReport* report : {&r, static_cast<const SyncReport*>(nullptr)}) {
      const auto out = receiver_report(0x55667788, blocks, "listener@room", report);
      EXPECT_EQ(out.size() % 4, 0u);
      const auto c = decode_rtcp_compound(out);
      ASSERT_TRUE(c) << n;
      EXPECT_FALSE(c->sender);
      EXPECT_EQ(c->reporter_ssrc, 0x55667788u);
      ASSERT_EQ(c->block_count, n);
      for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ(c->blocks[i], blocks[i]) << i;
      EXPECT_EQ(*c->cname, "listener@room");
      EXPECT_EQ(c->cname_ssrc, 0x55667788u);
      EXPECT_FALSE(c->timeline);
      if (report) {
        ASSERT_TRUE(c->sync_report);
        EXPECT_EQ(*c->sync_report, r);
      } else {
        EXPECT_FALSE(c->sync_report);
      }
    }
  }
}

TEST(RtcpSync, CumulativeLossIsClampedTo24Bits) {
  RtcpReportBlock b = sample_block(1);
  for (auto [given, sent] : {std::pair{0x7fffff, 0x7fffff}, std::pair{0x800000, 0x7fffff},
                             std::pair{std::numeric_limits<std::int32_t>::max(), 0x7fffff},
                             std::pair{-0x800000, -0x800000}, std::pair{-0x800001, -0x800000},
                             std::pair{std::numeric_limits<std::int32_t>::min(), -0x800000}}) {
    b.cumulative_lost = given;
    const auto c = decode_rtcp_compound(receiver_report(9, {b}, "h", nullptr));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->blocks[0].cumulative_lost, sent) << given;
    EXPECT_EQ(c->blocks[0].fraction_lost, b.fraction_lost);
  }
}

TEST(RtcpSync, EncodersRefuseWhatTheFormatCannotHold) {
  std::vector<std::uint8_t> out(4096);
  const SyncReport r = sample_report();
  const std::vector<RtcpReportBlock> too_many(kRtcpMaxReportBlocks + 1, sample_block(1));
  EXPECT_THROW(encode_rtcp_receiver_report(1, too_many, "h", &r, out), Error);
  EXPECT_THROW(encode_rtcp_receiver_report(1, {}, "", &r, out), Error);
  EXPECT_THROW(encode_rtcp_receiver_report(1, {}, std::string(256, 'x'), &r, out), Error);
  std::vector<std::uint8_t> small(rtcp_receiver_report_size(0, 1, true) - 1);
  EXPECT_THROW(encode_rtcp_receiver_report(1, {}, "h", &r, small), Error);
  small.resize(rtcp_receiver_report_size(0, 1, false));
  EXPECT_EQ(encode_rtcp_receiver_report(1, {}, "h", nullptr, small), small.size());
  small.resize(rtcp_sender_report_size(4) + kSyncTimelineSize - 1);
  EXPECT_THROW(encode_rtcp_sender_report(sample_sender(), "host", sample_timeline(), small), Error);
  small.resize(rtcp_bye_size(4) + kSyncTimelineSize - 1);
  EXPECT_THROW(encode_rtcp_bye(sample_sender(), "host", sample_timeline(), small), Error);
  EXPECT_THROW(encode_rtcp_sender_report(sample_sender(), "", sample_timeline(), out), Error);
}

TEST(RtcpSync, MalformedSyncPacketsAreSkippedNotFatal) {
  std::vector<std::uint8_t> good(rtcp_sender_report_size(4) + kSyncTimelineSize);
  encode_rtcp_sender_report(sample_sender(), "host", sample_timeline(), good);
  const std::size_t app = rtcp_sender_report_size(4);
  ASSERT_TRUE(decode_rtcp_compound(good)->timeline);
  // The compound packet still decodes, without a timeline.
  auto skipped = [&](auto change) {
    auto d = good;
    change(d);
    const auto c = decode_rtcp_compound(d);
    return c && c->sender && c->cname == "host" && !c->timeline && !c->sync_report;
  };
  EXPECT_TRUE(skipped([&](auto& d) { d[app] = 0x82; }));    // subtype 2: unknown
  EXPECT_TRUE(skipped([&](auto& d) { d[app] = 0x81; }));    // a report's subtype, a timeline's size
  EXPECT_TRUE(skipped([&](auto& d) { d[app + 8] = 'd'; })); // another name
  EXPECT_TRUE(skipped([&](auto& d) {                        // a word longer
    put16(d, app + 2, 7);
    d.insert(d.end(), {0, 0, 0, 0});
  }));
  EXPECT_TRUE(skipped([&](auto& d) { // a word shorter
    put16(d, app + 2, 5);
    d.resize(d.size() - 4);
  }));
  EXPECT_TRUE(skipped([&](auto& d) { // only the header, SSRC and part of the name
    put16(d, app + 2, 1);
    d.resize(app + 8);
  }));
  EXPECT_TRUE(skipped([&](auto& d) { // only the header
    put16(d, app + 2, 0);
    d.resize(app + 4);
  }));
  // Padding on the APP packet, the last one, is removed first.
  {
    auto d = good;
    d[app] |= 0x20;
    put16(d, app + 2, 7);
    d.insert(d.end(), {0, 0, 0, 4});
    const auto c = decode_rtcp_compound(d);
    ASSERT_TRUE(c);
    EXPECT_EQ(*c->timeline, sample_timeline());
  }
  // A length that runs past the datagram still spoils the whole compound.
  {
    auto d = good;
    put16(d, app + 2, 7);
    EXPECT_FALSE(decode_rtcp_compound(d));
  }
  // A report's subtype with a report's size in a sender's packet is a report.
  {
    const SyncReport r = sample_report();
    auto rr = receiver_report(3, {}, "h", &r);
    const std::size_t rapp = rr.size() - kSyncReportSize;
    rr[rapp] = 0x80; // the timeline's subtype, a report's size
    const auto c = decode_rtcp_compound(rr);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->timeline);
    EXPECT_FALSE(c->sync_report);
  }
}

TEST(RtcpSync, TheFirstOfTwoTimelinesCounts) {
  std::vector<std::uint8_t> d(rtcp_sender_report_size(4) + kSyncTimelineSize);
  encode_rtcp_sender_report(sample_sender(), "host", sample_timeline(), d);
  SyncTimeline second = sample_timeline();
  second.sender_ns = 5;
  std::vector<std::uint8_t> other(d.size());
  encode_rtcp_sender_report(sample_sender(), "host", second, other);
  d.insert(d.end(), other.end() - kSyncTimelineSize, other.end());
  const auto c = decode_rtcp_compound(d);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c->timeline, sample_timeline());
}

TEST(RtcpSync, EveryTruncationOfAReceiverReportIsRefusedOrWhole) {
  const SyncReport r = sample_report();
  const auto d = receiver_report(3, {sample_block(1), sample_block(2)}, "a@b", &r);
  const std::size_t rr = 8 + 48, sdes = rr + 4 + 12;
  for (std::size_t n = 0; n < d.size(); ++n) {
    const auto c = decode_rtcp_compound(std::span(d.data(), n));
    if (n == rr || n == sdes) {
      ASSERT_TRUE(c) << n;
      EXPECT_FALSE(c->sync_report);
    } else {
      EXPECT_FALSE(c) << n;
    }
  }
  EXPECT_TRUE(decode_rtcp_compound(d)->sync_report);
}
