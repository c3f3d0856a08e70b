// The sender-clock estimate: a windowed maximum of arrival offsets.
#include "arrival_clock.hpp"

#include <algorithm>

namespace disorder::playrtp {

std::int64_t position_ns(std::int64_t position, std::uint32_t rate) {
  return static_cast<std::int64_t>(static_cast<__int128>(position) * 1'000'000'000 / rate);
}

void ArrivalClock::reset() {
  buckets_ = {};
  current_ = 0;
  valid_ = false;
  offset_ = 0;
}

void ArrivalClock::observe(std::int64_t position, std::uint32_t rate, std::int64_t arrival_ns) {
  if (rate == 0) return;
  const std::int64_t offset = position_ns(position, rate) - arrival_ns;
  Bucket* b = &buckets_[current_];
  if (!b->used || arrival_ns - b->start_ns >= kBucketNs) {
    // A new bucket replaces the oldest; any left from before a silence
    // longer than the window no longer describe the clock.
    current_ = (current_ + 1) % kBuckets;
    b = &buckets_[current_];
    *b = Bucket{true, arrival_ns, offset};
    for (Bucket& old : buckets_)
      if (old.used && arrival_ns - old.start_ns >= kBuckets * kBucketNs) old.used = false;
  } else {
    b->max_offset = std::max(b->max_offset, offset);
  }
  recompute();
}

void ArrivalClock::recompute() {
  bool any = false;
  std::int64_t best = 0;
  for (const Bucket& b : buckets_) {
    if (!b.used) continue;
    best = any ? std::max(best, b.max_offset) : b.max_offset;
    any = true;
  }
  valid_ = any;
  offset_ = best;
}

} // namespace disorder::playrtp
