// Where the sender's timeline is against our monotonic clock, from packet
// arrivals.  For each packet, offset = (its position / rate) - its arrival
// time.  Network and scheduling delays only ever make a packet later, so
// the largest offset seen recently belongs to the least-delayed packets and
// is the best estimate of the sender's clock; jitter does not move it.
// "Recently" is kBuckets buckets of kBucketNs, so that the estimate follows
// a sender whose clock runs slow against ours (the offset then falls) after
// at most a few seconds, and one freak early packet is forgotten as soon.
// Drift while the window is full moves it by at most 4 s x 200 ppm = 0.8 ms.
// Pure: the caller supplies the times.
#pragma once

#include <array>
#include <cstdint>

namespace disorder::playrtp {

class ArrivalClock {
public:
  static constexpr int kBuckets = 4;
  static constexpr std::int64_t kBucketNs = 1'000'000'000;

  void reset();
  void observe(std::int64_t position, std::uint32_t rate, std::int64_t arrival_ns);
  bool valid() const { return valid_; }
  // The offset estimate in nanoseconds: position p is expected to arrive
  // (at the earliest) at p / rate - offset_ns().
  std::int64_t offset_ns() const { return offset_; }

private:
  struct Bucket {
    bool used = false;
    std::int64_t start_ns = 0;
    std::int64_t max_offset = 0;
  };
  void recompute();

  std::array<Bucket, kBuckets> buckets_{};
  int current_ = 0;
  bool valid_ = false;
  std::int64_t offset_ = 0;
};

// position / rate in nanoseconds, exactly (128-bit intermediate).
std::int64_t position_ns(std::int64_t position, std::uint32_t rate);

} // namespace disorder::playrtp
