// The jitter buffer's storage: a window of `capacity` frames of one stream,
// starting at the play position (base) and keyed by position on the
// stream's timeline, with a flag per frame saying whether it has arrived.
// Packets land wherever their timestamps put them, in any order; the
// player takes frames from the base, zeros standing in for those that did
// not arrive.  Memory is fixed by configure(); nothing else allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace disorder::playrtp {

class FrameRing {
public:
  // Allocates for `capacity` frames of `bytes_per_frame`, empty, base 0.
  void configure(std::size_t capacity, std::size_t bytes_per_frame);
  // Empties the window and starts it at `base`.
  void reset(std::int64_t base);

  std::int64_t base() const { return base_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t bytes_per_frame() const { return bpf_; }
  std::size_t memory_bytes() const { return data_.capacity() + present_.capacity(); }

  // Stores the frames of `bytes` (whole frames) as positions position,
  // position+1, ...; those outside [base, base + capacity) or already
  // there are skipped.  Returns how many were stored.
  std::size_t store(std::int64_t position, std::span<const std::uint8_t> bytes);

  struct Taken {
    std::size_t present = 0;
    std::size_t missing = 0; // written as zeros
  };
  // Copies `frames` frames from the base into out (frames * bytes per
  // frame), zeros where nothing arrived, and moves the base past them.
  // Before configure() there is no frame size: all are missing and nothing
  // is written.
  Taken take(std::size_t frames, char* out);
  // Moves the base forward, forgetting what it passes.
  void skip(std::size_t frames);

private:
  std::size_t index(std::int64_t position) const;

  std::size_t capacity_ = 0;
  std::size_t bpf_ = 1;
  std::int64_t base_ = 0;
  std::vector<char> data_;
  std::vector<std::uint8_t> present_;
};

} // namespace disorder::playrtp
