// Gathers decoded PCM, which libraries hand out in pieces of a few
// kilobytes, into blocks of one format big enough that the raw stream's
// per-segment header costs next to nothing, and small enough that memory
// stays bounded whatever the length of the track.
#pragma once

#include "audio_format.hpp"

#include <cstddef>
#include <deque>
#include <span>
#include <vector>

namespace disorder {

// About how many bytes of PCM a block holds (a block ends at the first
// piece that reaches this, or where the format changes).
inline constexpr std::size_t kBlockTargetBytes = 64 * 1024;

// Whole frames of interleaved signed PCM in one format.
struct PcmBlock {
  AudioFormat format;
  std::span<const char> bytes;
  std::size_t frames() const { return bytes.size() / format.bytes_per_frame(); }
};

class BlockAssembler {
public:
  // Appends whole frames of `format`.  Frames of a format other than that of
  // the frames held last start a new block.
  void append(const AudioFormat& format, std::span<const char> pcm);
  // Room for `bytes` more bytes of `format`, to be filled by the caller and
  // then committed with commit(); saves a copy for decoders that can write
  // into a buffer they are given.  Valid until the next call.
  std::span<char> reserve(const AudioFormat& format, std::size_t bytes);
  void commit(std::size_t bytes);

  // True once the oldest block has reached kBlockTargetBytes or a format
  // change has closed it.
  bool full() const {
    return pieces_.size() > 1 ||
           (!pieces_.empty() && pieces_.front().bytes.size() >= kBlockTargetBytes);
  }
  bool empty() const { return pieces_.empty(); }

  // Removes and returns the oldest block (one with no bytes when nothing is
  // held); its bytes stay valid until the next call to any member.
  PcmBlock take();

private:
  struct Piece {
    AudioFormat format;
    std::vector<char> bytes;
  };
  Piece& back_for(const AudioFormat& format);

  std::deque<Piece> pieces_;
  Piece taken_;                   // the block last returned by take()
  std::vector<char> spare_;       // a buffer kept for reuse
  std::size_t reserved_from_ = 0; // where the bytes given by reserve() start
};

} // namespace disorder
