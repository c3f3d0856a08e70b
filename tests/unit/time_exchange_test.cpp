// Unit tests for the clock exchange's packets: the exact bytes of a request
// and an answer, round trips of extreme instants, and the datagrams the
// decoders must refuse.
#include "time_exchange.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

using namespace disorder;

namespace {

std::vector<std::uint8_t> request_bytes(std::int64_t t1) {
  std::vector<std::uint8_t> out(kTimePacketSize);
  EXPECT_EQ(encode_time_request(TimeRequest{t1}, out), kTimePacketSize);
  return out;
}

std::vector<std::uint8_t> answer_bytes(const TimeAnswer& a) {
  std::vector<std::uint8_t> out(kTimePacketSize);
  EXPECT_EQ(encode_time_answer(a, out), kTimePacketSize);
  return out;
}

} // namespace

TEST(TimeExchange, RequestIsNetworkByteOrderFieldByField) {
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      'D', 'S', 'Y', 'N', 1, 1, 0, 0,                 // magic, request, version 1
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // t1
      0, 0, 0, 0, 0, 0, 0, 0,                         // t2
      0, 0, 0, 0, 0, 0, 0, 0,                         // t3
  };
  // clang-format on
  EXPECT_EQ(request_bytes(0x0102030405060708), expected);
}

TEST(TimeExchange, AnswerIsNetworkByteOrderFieldByField) {
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      'D', 'S', 'Y', 'N', 2, 1, 0, 0,                 // magic, answer, version 1
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // t1
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // t2: -2
      0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // t3: the largest
  };
  // clang-format on
  EXPECT_EQ(answer_bytes({0x0102030405060708, -2, std::numeric_limits<std::int64_t>::max()}),
            expected);
}

TEST(TimeExchange, RoundTrips) {
  for (std::int64_t t :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{1'700'000'000'123'456'789},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    const auto r = decode_time_request(request_bytes(t));
    ASSERT_TRUE(r) << t;
    EXPECT_EQ(r->t1, t);
    const TimeAnswer a{t, t / 3 + 7, -(t / 5)};
    const auto back = decode_time_answer(answer_bytes(a));
    ASSERT_TRUE(back) << t;
    EXPECT_EQ(*back, a);
  }
}

TEST(TimeExchange, EncoderRefusesASmallBuffer) {
  std::array<std::uint8_t, kTimePacketSize - 1> small{};
  EXPECT_THROW(encode_time_request({1}, small), Error);
  EXPECT_THROW(encode_time_answer({1, 2, 3}, small), Error);
  std::array<std::uint8_t, kTimePacketSize + 8> big{};
  EXPECT_EQ(encode_time_answer({1, 2, 3}, big), kTimePacketSize);
}

TEST(TimeExchange, MagicTellsTimePacketsFromRtcp) {
  EXPECT_TRUE(is_time_packet(request_bytes(5)));
  EXPECT_TRUE(is_time_packet(answer_bytes({})));
  // Anything that starts with the magic, valid or not.
  const std::vector<std::uint8_t> magic_only = {'D', 'S', 'Y', 'N'};
  EXPECT_TRUE(is_time_packet(magic_only));
  EXPECT_FALSE(is_time_packet(std::vector<std::uint8_t>{'D', 'S', 'Y'}));
  EXPECT_FALSE(is_time_packet({}));
  // An RTCP receiver report (version 2) is not one.
  const std::vector<std::uint8_t> rr = {0x80, 201, 0, 1, 'D', 'S', 'Y', 'N'};
  EXPECT_FALSE(is_time_packet(rr));
  // The magic's first octet reads as RTP/RTCP version 1, never 2.
  EXPECT_NE('D' >> 6, 2);
}

TEST(TimeExchange, MalformedPacketsAreRefused) {
  const auto good_request = request_bytes(42);
  const auto good_answer = answer_bytes({1, 2, 3});
  auto bad = [](std::vector<std::uint8_t> d, auto change, bool answer) {
    change(d);
    return answer ? !decode_time_answer(d) : !decode_time_request(d);
  };
  for (bool answer : {false, true}) {
    const auto& good = answer ? good_answer : good_request;
    EXPECT_FALSE(bad(
        good, [](auto&) {}, answer));
    EXPECT_TRUE(bad(
        good, [](auto& d) { d.pop_back(); }, answer)); // short
    EXPECT_TRUE(bad(
        good, [](auto& d) { d.push_back(0); }, answer)); // long
    EXPECT_TRUE(bad(
        good, [](auto& d) { d[0] = 'd'; }, answer)); // magic
    EXPECT_TRUE(bad(
        good, [](auto& d) { d[3] = 'M'; }, answer)); // magic
    EXPECT_TRUE(bad(
        good, [](auto& d) { d[4] = 3; }, answer)); // unknown type
    EXPECT_TRUE(bad(
        good, [](auto& d) { d[4] = 0; }, answer)); // unknown type
    EXPECT_TRUE(bad(
        good, [](auto& d) { d[5] = 2; }, answer)); // a later version
    EXPECT_FALSE(bad(
        good, [](auto& d) { d[6] = d[7] = 0xff; }, answer)); // padding is free
  }
  // Each decoder refuses the other kind.
  EXPECT_FALSE(decode_time_answer(good_request));
  EXPECT_FALSE(decode_time_request(good_answer));
  EXPECT_FALSE(decode_time_request({}));
  EXPECT_FALSE(decode_time_answer({}));
}
