// Unit tests for the ring between the rtp backend's audio thread and its
// sender thread: order, a full ring refusing rather than waiting, blocks
// too big refused, and a producer and a consumer on two threads seeing
// every block intact and in order.
#include "audio/rtp_block_ring.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using disorder::RtpBlock;
using disorder::RtpBlockRing;

namespace {

RtpBlock block(std::uint64_t position, std::uint32_t bytes) {
  RtpBlock b;
  b.position = position;
  b.bytes = bytes;
  b.sequence = static_cast<std::uint16_t>(position);
  return b;
}

TEST(RtpBlockRing, FirstInFirstOutAndRefusesWhenFull) {
  RtpBlockRing ring(4, 16);
  std::span<const std::uint8_t> audio;
  EXPECT_EQ(ring.front(audio), nullptr);
  for (std::uint8_t i = 0; i < 4; ++i) {
    const std::uint8_t data[3] = {i, i, i};
    EXPECT_TRUE(ring.push(block(i, 3), data));
  }
  const std::uint8_t data[3] = {9, 9, 9};
  EXPECT_FALSE(ring.push(block(4, 3), data)); // full: refused, not waited for
  for (std::uint8_t i = 0; i < 4; ++i) {
    const RtpBlock* b = ring.front(audio);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->position, i);
    EXPECT_EQ(audio.size(), 3u);
    EXPECT_EQ(audio[2], i);
    ring.pop();
  }
  EXPECT_EQ(ring.front(audio), nullptr);
  std::vector<std::uint8_t> big(17);
  EXPECT_FALSE(ring.push(block(5, 17), big.data()));
  EXPECT_TRUE(ring.push(block(5, 16), big.data()));
}

TEST(RtpBlockRing, TwoThreadsSeeEveryBlockIntact) {
  RtpBlockRing ring(8, 64);
  constexpr std::uint64_t kBlocks = 20000;
  std::thread producer([&] {
    std::vector<std::uint8_t> data(64);
    for (std::uint64_t i = 0; i < kBlocks;) {
      const auto bytes = static_cast<std::uint32_t>(1 + i % 64);
      std::fill(data.begin(), data.end(), static_cast<std::uint8_t>(i));
      if (ring.push(block(i, bytes), data.data()))
        ++i;
      else
        std::this_thread::yield();
    }
  });
  std::uint64_t next = 0;
  while (next < kBlocks) {
    std::span<const std::uint8_t> audio;
    const RtpBlock* b = ring.front(audio);
    if (!b) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(b->position, next);
    ASSERT_EQ(audio.size(), 1 + next % 64);
    for (std::uint8_t v : audio)
      ASSERT_EQ(v, static_cast<std::uint8_t>(next));
    ring.pop();
    ++next;
  }
  producer.join();
}

} // namespace
