// What the rtp backend's audio thread hands to its sender thread: each L16
// packet's audio and header fields, in a ring of fixed slots with one
// producer (the audio thread) and one consumer (the sender thread), which
// neither locks nor allocates after construction.  The sender thread
// encodes the audio as Opus and sends packets a second time
// (rtp_duplicate_delay); the audio thread never waits for it: when the ring
// is full, push() fails and the block is lost to the sender thread only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace disorder {

struct RtpBlock {
  std::int64_t sent_ns = 0;     // CLOCK_MONOTONIC when the audio thread sent it
  std::uint64_t position = 0;   // the stream's frame count at its first frame, silences included
  std::uint32_t bytes = 0;      // of audio
  std::uint16_t sequence = 0;   // the L16 packet's header fields
  std::uint32_t timestamp[2]{}; // in frames, in samples
  bool marker = false;
  bool opus = false;     // someone wants the Opus stream: encode it
  bool l16_copy = false; // the L16 packet is to be sent again after rtp_duplicate_delay
};

class RtpBlockRing {
public:
  // slots: a power of two.  max_bytes: the largest block's audio.
  RtpBlockRing(std::size_t slots, std::size_t max_bytes)
      : slots_(slots), max_bytes_(max_bytes), meta_(slots), data_(slots * max_bytes) {}
  RtpBlockRing(const RtpBlockRing&) = delete;
  RtpBlockRing& operator=(const RtpBlockRing&) = delete;

  // --- producer.  False (and nothing stored) when full or too big.
  bool push(const RtpBlock& block, const void* audio) {
    if (block.bytes > max_bytes_) return false;
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= slots_) return false;
    const std::size_t i = head & (slots_ - 1);
    meta_[i] = block;
    std::memcpy(&data_[i * max_bytes_], audio, block.bytes);
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // --- consumer.  The oldest block and its audio, or nullptr when empty;
  // valid until pop().
  const RtpBlock* front(std::span<const std::uint8_t>& audio) const {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    const std::size_t i = tail & (slots_ - 1);
    audio = std::span<const std::uint8_t>(&data_[i * max_bytes_], meta_[i].bytes);
    return &meta_[i];
  }
  void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

private:
  const std::size_t slots_, max_bytes_;
  std::vector<RtpBlock> meta_;
  std::vector<std::uint8_t> data_;
  alignas(64) std::atomic<std::uint64_t> head_{0}; // producer's
  alignas(64) std::atomic<std::uint64_t> tail_{0}; // consumer's
};

} // namespace disorder
