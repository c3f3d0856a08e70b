// The raw stream written by disorder-decode (and any `execraw` player) and
// read by the speaker: a sequence of segments, each a 20-byte header
// followed by that many bytes of interleaved signed PCM.
//
//   offset size  field (all multi-byte fields big-endian)
//   0      4     magic "DRAW"
//   4      1     version (1)
//   5      1     bits per sample (8, 16, 24, 32)
//   6      1     channels
//   7      1     flags: bit 0 set = samples are big-endian
//   8      4     rate (frames per second)
//   12     8     byte count of the PCM that follows (a whole number of frames)
//
// A decoder writes a new header whenever the format changes and may split a
// track into as many segments as it likes.  End of file ends the track; a
// stream that ends inside a segment is truncated (the frames received are
// still played).
#pragma once

#include "audio_format.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace disorder {

inline constexpr std::size_t kRawHeaderSize = 20;

struct RawSegmentHeader {
  AudioFormat format;
  std::uint64_t bytes = 0;
};

std::array<char, kRawHeaderSize> encode_raw_header(const RawSegmentHeader& h);
// Throws SyntaxError for a bad magic, version or format, or a byte count
// that is not a whole number of frames.
RawSegmentHeader decode_raw_header(std::string_view bytes);

// Splits a raw stream that arrives in pieces of any size (as reads from a
// pipe return it) into segment headers and PCM in whole frames.  Pure: the
// caller does the reading, and nothing is allocated.
//
//   RawStreamReader r;
//   while (!input.empty()) {
//     auto e = r.next(input);
//     input.remove_prefix(e.consumed);
//     ... e.kind == header: a new segment (and perhaps format) starts
//     ... e.kind == pcm:    play e.pcm, in r.format()
//   }
//   at end of file, r.at_boundary() says whether the stream ended cleanly.
class RawStreamReader {
public:
  struct Event {
    enum class Kind {
      need_more, // everything consumed so far is held: call again with more input
      header,    // a segment header: see `header`
      pcm,       // whole frames of the current segment: see `pcm`
    };
    Kind kind = Kind::need_more;
    // How many bytes at the front of the input were used (possibly all of
    // it, possibly none); the caller drops them before the next call.
    std::size_t consumed = 0;
    RawSegmentHeader header;
    // Points into the input, or into the reader when a frame straddled two
    // pieces; valid until the next call or until the input changes.
    std::string_view pcm;
  };

  // The next thing in the stream, from `input`, which starts where the
  // previous call's consumed bytes ended.  Throws SyntaxError for a bad
  // header, after which the reader must not be used again.
  Event next(std::string_view input);

  // True between segments (including before the first): a stream that ends
  // anywhere else is truncated.
  bool at_boundary() const { return remaining_ == 0 && header_have_ == 0; }
  // The format of the current (or last) segment; nullptr before the first.
  const AudioFormat* format() const { return has_format_ ? &format_ : nullptr; }
  // Bytes of PCM still to come in the current segment.
  std::uint64_t remaining() const { return remaining_; }

private:
  std::array<char, kRawHeaderSize> header_{};
  std::size_t header_have_ = 0;
  AudioFormat format_;
  bool has_format_ = false;
  std::uint64_t remaining_ = 0;
  // A frame split between two pieces of input (at most 8 channels of 32
  // bits).
  std::array<char, 32> frame_{};
  std::size_t frame_have_ = 0;
};

} // namespace disorder
