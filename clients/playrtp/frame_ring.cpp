// Position-keyed frame storage.
#include "frame_ring.hpp"

#include <algorithm>
#include <cstring>

namespace disorder::playrtp {

void FrameRing::configure(std::size_t capacity, std::size_t bytes_per_frame) {
  capacity_ = std::max<std::size_t>(capacity, 1);
  bpf_ = std::max<std::size_t>(bytes_per_frame, 1);
  data_.assign(capacity_ * bpf_, 0);
  present_.assign(capacity_, 0);
  base_ = 0;
}

void FrameRing::reset(std::int64_t base) {
  std::fill(present_.begin(), present_.end(), 0);
  base_ = base;
}

std::size_t FrameRing::index(std::int64_t position) const {
  const auto c = static_cast<std::int64_t>(capacity_);
  std::int64_t i = position % c;
  if (i < 0) i += c;
  return static_cast<std::size_t>(i);
}

std::size_t FrameRing::store(std::int64_t position, std::span<const std::uint8_t> bytes) {
  const auto frames = static_cast<std::int64_t>(bytes.size() / bpf_);
  std::int64_t p = std::max(position, base_);
  const std::int64_t to = std::min(position + frames, base_ + static_cast<std::int64_t>(capacity_));
  std::size_t stored = 0;
  while (p < to) {
    // A run of frames with the same flag, not crossing the end of storage.
    const std::size_t i = index(p);
    const std::size_t limit = std::min(static_cast<std::size_t>(to - p), capacity_ - i);
    const std::uint8_t flag = present_[i];
    std::size_t n = 1;
    while (n < limit && present_[i + n] == flag)
      ++n;
    if (!flag) {
      std::memcpy(data_.data() + i * bpf_,
                  bytes.data() + static_cast<std::size_t>(p - position) * bpf_, n * bpf_);
      std::memset(present_.data() + i, 1, n);
      stored += n;
    }
    p += static_cast<std::int64_t>(n);
  }
  return stored;
}

FrameRing::Taken FrameRing::take(std::size_t frames, char* out) {
  Taken t;
  if (capacity_ == 0) {
    t.missing = frames;
    base_ += static_cast<std::int64_t>(frames);
    return t;
  }
  while (frames > 0) {
    const std::size_t i = index(base_);
    // A run of frames with the same flag, not crossing the end of storage.
    const std::size_t limit = std::min(frames, capacity_ - i);
    const std::uint8_t flag = present_[i];
    std::size_t n = 1;
    while (n < limit && present_[i + n] == flag)
      ++n;
    if (flag) {
      std::memcpy(out, data_.data() + i * bpf_, n * bpf_);
      std::memset(present_.data() + i, 0, n);
      t.present += n;
    } else {
      std::memset(out, 0, n * bpf_);
      t.missing += n;
    }
    out += n * bpf_;
    frames -= n;
    base_ += static_cast<std::int64_t>(n);
  }
  return t;
}

void FrameRing::skip(std::size_t frames) {
  if (frames >= capacity_) {
    std::fill(present_.begin(), present_.end(), 0);
  } else {
    for (std::size_t k = 0; k < frames; ++k)
      present_[index(base_ + static_cast<std::int64_t>(k))] = 0;
  }
  base_ += static_cast<std::int64_t>(frames);
}

} // namespace disorder::playrtp
