// Lock-free single-producer / single-consumer rings used between the
// speaker's loop thread and its audio thread: TrackBuffer holds one
// track's frames in the output format, SpscQueue passes small values
// (track pointers, notifications).  Neither allocates after construction;
// neither ever blocks: a full ring refuses, an empty ring returns nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace disorder {

// A ring of whole frames.  Exactly one thread calls write() (the producer)
// and exactly one other calls read() (the consumer); the size queries may
// be called by either and are exact for the calling side's purposes (the
// other side can only make them more favourable).
class TrackBuffer {
public:
  TrackBuffer(std::size_t capacity_frames, std::size_t bytes_per_frame);
  TrackBuffer(const TrackBuffer&) = delete;
  TrackBuffer& operator=(const TrackBuffer&) = delete;

  std::size_t capacity_frames() const { return capacity_; }
  std::size_t bytes_per_frame() const { return frame_; }
  // Frames the consumer may read now.
  std::size_t available_frames() const;
  // Frames the producer may write now.
  std::size_t free_frames() const;

  // Producer: copies up to `frames` frames from data; returns how many fit.
  std::size_t write(const char* data, std::size_t frames);
  // Consumer: copies up to `frames` frames to out; returns how many there were.
  std::size_t read(char* out, std::size_t frames);

private:
  std::size_t capacity_; // frames
  std::size_t frame_;    // bytes per frame
  std::unique_ptr<char[]> data_;
  // Frames ever written / read; positions are these modulo capacity_.  Each
  // is stored by one side only (release) and loaded by the other (acquire).
  alignas(64) std::atomic<std::uint64_t> written_{0};
  alignas(64) std::atomic<std::uint64_t> read_{0};
};

// A fixed-capacity FIFO of trivially copyable values for one producer and
// one consumer thread.
template <typename T, std::size_t N> class SpscQueue {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "capacity must be a power of two");

public:
  // Producer.  False when full (nothing is written).
  bool push(const T& value) {
    const std::uint64_t w = written_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= N) return false;
    slots_[w & (N - 1)] = value;
    written_.store(w + 1, std::memory_order_release);
    return true;
  }
  // Consumer.  False when empty.
  bool pop(T& value) {
    const std::uint64_t r = read_.load(std::memory_order_relaxed);
    if (written_.load(std::memory_order_acquire) == r) return false;
    value = slots_[r & (N - 1)];
    read_.store(r + 1, std::memory_order_release);
    return true;
  }
  bool empty() const {
    return written_.load(std::memory_order_acquire) == read_.load(std::memory_order_acquire);
  }

private:
  std::array<T, N> slots_{};
  alignas(64) std::atomic<std::uint64_t> written_{0};
  alignas(64) std::atomic<std::uint64_t> read_{0};
};

} // namespace disorder
