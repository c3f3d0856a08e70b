// Unit tests for the speaker's lock-free rings: wrap-around, full and empty
// edges, and a producer and consumer thread racing over a small ring.
#include "server/speaker/track_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using disorder::SpscQueue;
using disorder::TrackBuffer;

TEST(TrackBuffer, FillsDrainsAndWrapsAround) {
  TrackBuffer b(5, 4); // 5 frames of 4 bytes
  EXPECT_EQ(b.free_frames(), 5u);
  EXPECT_EQ(b.available_frames(), 0u);
  char out[32];
  EXPECT_EQ(b.read(out, 3), 0u);
  EXPECT_EQ(b.write("AAAABBBBCCCC", 3), 3u);
  EXPECT_EQ(b.read(out, 2), 2u);
  EXPECT_EQ(std::string(out, 8), "AAAABBBB");
  // 1 held; 4 free, of which 2 before the end and 2 at the start.
  EXPECT_EQ(b.write("DDDDEEEEFFFFGGGGHHHH", 5), 4u);
  EXPECT_EQ(b.free_frames(), 0u);
  EXPECT_EQ(b.write("XXXX", 1), 0u);
  EXPECT_EQ(b.available_frames(), 5u);
  EXPECT_EQ(b.read(out, 8), 5u);
  EXPECT_EQ(std::string(out, 20), "CCCCDDDDEEEEFFFFGGGG");
  EXPECT_EQ(b.available_frames(), 0u);
  // Many laps, one odd size at a time.
  std::uint32_t next_in = 0, next_out = 0;
  for (int lap = 0; lap < 1000; ++lap) {
    std::uint32_t frames[3];
    const std::size_t want = 1 + lap % 3;
    for (std::size_t i = 0; i < want; ++i)
      frames[i] = next_in + static_cast<std::uint32_t>(i);
    const std::size_t put = b.write(reinterpret_cast<const char*>(frames), want);
    next_in += static_cast<std::uint32_t>(put);
    std::uint32_t got[5];
    const std::size_t n = b.read(reinterpret_cast<char*>(got), 1 + lap % 2);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(got[i], next_out++);
  }
}

TEST(TrackBuffer, ProducerAndConsumerThreads) {
  // A deliberately small ring so that both sides keep meeting the edges.
  TrackBuffer b(37, 8);
  constexpr std::uint64_t kFrames = 2'000'000;
  std::thread producer([&b] {
    std::uint64_t next = 0;
    std::uint64_t chunk[16];
    while (next < kFrames) {
      const std::size_t n = std::min<std::uint64_t>(1 + next % 13, kFrames - next);
      for (std::size_t i = 0; i < n; ++i)
        chunk[i] = next + i;
      next += b.write(reinterpret_cast<const char*>(chunk), n);
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t got[16];
  while (expected < kFrames) {
    const std::size_t n = b.read(reinterpret_cast<char*>(got), 1 + expected % 11);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(got[i], expected++);
  }
  producer.join();
  EXPECT_EQ(b.available_frames(), 0u);
}

TEST(SpscQueue, OrderFullAndEmpty) {
  SpscQueue<int, 4> q;
  int v = 0;
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.pop(v));
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(q.push(i));
  EXPECT_FALSE(q.push(99));
  for (int lap = 0; lap < 10; ++lap) {
    EXPECT_TRUE(q.pop(v));
    EXPECT_EQ(v, lap);
    EXPECT_TRUE(q.push(lap + 4));
  }
  for (int i = 10; i < 14; ++i) {
    EXPECT_TRUE(q.pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_TRUE(q.empty());
}

TEST(SpscQueue, Threads) {
  SpscQueue<std::uint64_t, 8> q;
  constexpr std::uint64_t kCount = 500'000;
  std::thread producer([&q] {
    for (std::uint64_t i = 0; i < kCount;)
      if (q.push(i)) ++i;
  });
  std::uint64_t v, expected = 0;
  while (expected < kCount) {
    if (q.pop(v)) {
      ASSERT_EQ(v, expected++);
    }
  }
  producer.join();
}
