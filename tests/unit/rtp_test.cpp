// Unit tests for the RTP header: the exact bytes on the wire, round trips,
// and the packets a receiver must refuse.
#include "rtp.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

#include <vector>

using disorder::AudioFormat;
using disorder::decode_rtp_packet;
using disorder::encode_rtp_header;
using disorder::RtpHeader;

namespace {

std::vector<std::uint8_t> encode(const RtpHeader& h) {
  std::vector<std::uint8_t> out(h.size());
  EXPECT_EQ(encode_rtp_header(h, out), h.size());
  return out;
}

} // namespace

TEST(Rtp, FixedHeaderIsNetworkByteOrderFieldByField) {
  RtpHeader h;
  h.marker = true;
  h.payload_type = 10;
  h.sequence = 0x1234;
  h.timestamp = 0x89abcdef;
  h.ssrc = 0x01020304;
  const std::vector<std::uint8_t> expected = {0x80, 0x8a, 0x12, 0x34, 0x89, 0xab,
                                              0xcd, 0xef, 0x01, 0x02, 0x03, 0x04};
  EXPECT_EQ(encode(h), expected);
}

TEST(Rtp, FlagsAndCsrcListRoundTrip) {
  RtpHeader h;
  h.padding = false;
  h.extension = false;
  h.marker = false;
  h.payload_type = 96;
  h.sequence = 65535;
  h.timestamp = 0xffffffff;
  h.ssrc = 0xdeadbeef;
  h.csrc_count = 3;
  h.csrc[0] = 1;
  h.csrc[1] = 0x80000000;
  h.csrc[2] = 0x00ff00ff;
  auto bytes = encode(h);
  ASSERT_EQ(bytes.size(), 24u);
  EXPECT_EQ(bytes[0], 0x83);
  EXPECT_EQ(bytes[1], 96);
  EXPECT_EQ(bytes[16], 0x80);
  bytes.push_back(0x42); // one byte of payload
  auto p = decode_rtp_packet(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header, h);
  ASSERT_EQ(p->payload.size(), 1u);
  EXPECT_EQ(p->payload[0], 0x42);
}

TEST(Rtp, EveryPayloadTypeAndMarkerRoundTrips) {
  for (int pt = 0; pt < 128; ++pt) {
    for (bool marker : {false, true}) {
      RtpHeader h;
      h.payload_type = static_cast<std::uint8_t>(pt);
      h.marker = marker;
      h.sequence = static_cast<std::uint16_t>(pt * 517);
      h.timestamp = static_cast<std::uint32_t>(pt) * 2654435761u;
      auto p = decode_rtp_packet(encode(h));
      ASSERT_TRUE(p);
      EXPECT_EQ(p->header, h);
      EXPECT_TRUE(p->payload.empty());
    }
  }
}

TEST(Rtp, ExtensionAndPaddingAreSkipped) {
  // V=2 P=1 X=1 CC=0, PT 11, then a one-word extension, 2 payload bytes, 3 padding.
  std::vector<std::uint8_t> d = {0xb0, 11,   0,    1,    0, 0, 0, 2, 0, 0,
                                 0,    3,    0xbe, 0xde, 0, 1, 9, 9, 9, 9, // extension
                                 0x11, 0x22,                               // payload
                                 0,    0,    3};                           // padding
  auto p = decode_rtp_packet(d);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->header.padding);
  EXPECT_TRUE(p->header.extension);
  EXPECT_EQ(p->header.payload_type, 11);
  EXPECT_EQ(p->header.sequence, 1);
  EXPECT_EQ(p->header.timestamp, 2u);
  EXPECT_EQ(p->header.ssrc, 3u);
  ASSERT_EQ(p->payload.size(), 2u);
  EXPECT_EQ(p->payload[0], 0x11);
  EXPECT_EQ(p->payload[1], 0x22);
}

TEST(Rtp, MalformedPacketsAreRefused) {
  RtpHeader h;
  auto good = encode(h);
  EXPECT_TRUE(decode_rtp_packet(good));
  // Short.
  EXPECT_FALSE(decode_rtp_packet(std::span(good).first(11)));
  EXPECT_FALSE(decode_rtp_packet(std::span<const std::uint8_t>()));
  // Version 1 and 3.
  auto v1 = good;
  v1[0] = 0x40;
  EXPECT_FALSE(decode_rtp_packet(v1));
  v1[0] = 0xc0;
  EXPECT_FALSE(decode_rtp_packet(v1));
  // A CSRC count beyond the end.
  auto cc = good;
  cc[0] = 0x81;
  EXPECT_FALSE(decode_rtp_packet(cc));
  // An extension header missing, or its length beyond the end.
  auto x = good;
  x[0] = 0x90;
  EXPECT_FALSE(decode_rtp_packet(x));
  x.insert(x.end(), {0, 0, 0, 2, 1, 2, 3, 4});
  EXPECT_FALSE(decode_rtp_packet(x));
  // Padding of zero, or more than the payload.
  auto pad = good;
  pad[0] = 0xa0;
  pad.push_back(0);
  EXPECT_FALSE(decode_rtp_packet(pad));
  pad.back() = 2;
  EXPECT_FALSE(decode_rtp_packet(pad));
  pad.back() = 1;
  auto p = decode_rtp_packet(pad);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->payload.empty());
}

TEST(Rtp, EncodeRefusesWhatCannotBeWritten) {
  RtpHeader h;
  std::vector<std::uint8_t> small(11);
  EXPECT_THROW(encode_rtp_header(h, small), disorder::Error);
  h.payload_type = 128;
  std::vector<std::uint8_t> out(12);
  EXPECT_THROW(encode_rtp_header(h, out), disorder::Error);
}

TEST(Rtp, PayloadTypes) {
  AudioFormat f;
  f.bits = 16;
  f.rate = 44100;
  f.byte_order = std::endian::big;
  f.channels = 2;
  EXPECT_EQ(disorder::rtp_payload_type(f), 10);
  f.channels = 1;
  EXPECT_EQ(disorder::rtp_payload_type(f), 11);
  f.rate = 48000;
  EXPECT_EQ(disorder::rtp_payload_type(f), 96);
  f.rate = 44100;
  f.byte_order = std::endian::little;
  EXPECT_EQ(disorder::rtp_payload_type(f), 96);
  f.byte_order = std::endian::big;
  f.bits = 24;
  EXPECT_EQ(disorder::rtp_payload_type(f), 96);
}

TEST(Rtp, SequenceDeltaWraps) {
  EXPECT_EQ(disorder::rtp_sequence_delta(65535, 0), 1);
  EXPECT_EQ(disorder::rtp_sequence_delta(0, 65535), -1);
  EXPECT_EQ(disorder::rtp_sequence_delta(100, 90), -10);
  EXPECT_EQ(disorder::rtp_sequence_delta(65530, 5), 11);
}
