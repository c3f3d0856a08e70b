// The frame ring between the speaker's loop thread and its audio thread.
#include "track_buffer.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstring>

namespace disorder {

TrackBuffer::TrackBuffer(std::size_t capacity_frames, std::size_t bytes_per_frame)
    : capacity_(capacity_frames), frame_(bytes_per_frame),
      data_(new char[capacity_frames * bytes_per_frame]) {
  if (capacity_frames == 0 || bytes_per_frame == 0) throw Error("empty track buffer");
}

std::size_t TrackBuffer::available_frames() const {
  return static_cast<std::size_t>(written_.load(std::memory_order_acquire) -
                                  read_.load(std::memory_order_acquire));
}

std::size_t TrackBuffer::free_frames() const {
  return capacity_ - available_frames();
}

std::size_t TrackBuffer::write(const char* data, std::size_t frames) {
  const std::uint64_t w = written_.load(std::memory_order_relaxed);
  const std::uint64_t r = read_.load(std::memory_order_acquire);
  const std::size_t n = std::min(frames, capacity_ - static_cast<std::size_t>(w - r));
  if (n == 0) return 0;
  const std::size_t at = static_cast<std::size_t>(w % capacity_);
  const std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(data_.get() + at * frame_, data, first * frame_);
  if (n > first) std::memcpy(data_.get(), data + first * frame_, (n - first) * frame_);
  written_.store(w + n, std::memory_order_release);
  return n;
}

std::size_t TrackBuffer::read(char* out, std::size_t frames) {
  const std::uint64_t r = read_.load(std::memory_order_relaxed);
  const std::uint64_t w = written_.load(std::memory_order_acquire);
  const std::size_t n = std::min(frames, static_cast<std::size_t>(w - r));
  if (n == 0) return 0;
  const std::size_t at = static_cast<std::size_t>(r % capacity_);
  const std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(out, data_.get() + at * frame_, first * frame_);
  if (n > first) std::memcpy(out + first * frame_, data_.get(), (n - first) * frame_);
  read_.store(r + n, std::memory_order_release);
  return n;
}

} // namespace disorder
