// Encoding and decoding of raw stream segment headers, and the reader that
// splits a stream into segments.
#include "raw_stream.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstring>

namespace disorder {

namespace {
// memcpy that accepts the null pointer of an empty string_view.
void copy(char* to, const char* from, std::size_t n) {
  if (n) std::memcpy(to, from, n);
}
} // namespace

std::array<char, kRawHeaderSize> encode_raw_header(const RawSegmentHeader& h) {
  std::array<char, kRawHeaderSize> out{};
  auto put = [&out](size_t at, std::uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i)
      out[at + i] = static_cast<char>((v >> (8 * (n - 1 - i))) & 0xff);
  };
  out[0] = 'D';
  out[1] = 'R';
  out[2] = 'A';
  out[3] = 'W';
  out[4] = 1;
  out[5] = static_cast<char>(h.format.bits);
  out[6] = static_cast<char>(h.format.channels);
  out[7] = h.format.byte_order == std::endian::big ? 1 : 0;
  put(8, h.format.rate, 4);
  put(12, h.bytes, 8);
  return out;
}

RawSegmentHeader decode_raw_header(std::string_view b) {
  if (b.size() < kRawHeaderSize) throw SyntaxError("raw stream header is truncated");
  if (b.substr(0, 4) != "DRAW") throw SyntaxError("not a raw audio stream (bad magic)");
  auto u8 = [&b](size_t i) { return static_cast<std::uint8_t>(b[i]); };
  if (u8(4) != 1) throw SyntaxError("unsupported raw stream version " + std::to_string(u8(4)));
  RawSegmentHeader h;
  h.format.bits = u8(5);
  h.format.channels = u8(6);
  h.format.byte_order = (u8(7) & 1) ? std::endian::big : std::endian::little;
  h.format.rate = 0;
  for (size_t i = 8; i < 12; ++i)
    h.format.rate = h.format.rate << 8 | u8(i);
  for (size_t i = 12; i < 20; ++i)
    h.bytes = h.bytes << 8 | u8(i);
  if (!h.format.valid())
    throw SyntaxError("raw stream has an invalid format " + h.format.to_string());
  if (h.bytes % h.format.bytes_per_frame())
    throw SyntaxError("raw stream segment is not a whole number of frames");
  return h;
}

RawStreamReader::Event RawStreamReader::next(std::string_view input) {
  Event e;
  if (remaining_ == 0) {
    std::size_t n = std::min(kRawHeaderSize - header_have_, input.size());
    copy(header_.data() + header_have_, input.data(), n);
    header_have_ += n;
    e.consumed = n;
    if (header_have_ < kRawHeaderSize) return e;
    e.header = decode_raw_header(std::string_view(header_.data(), header_.size()));
    header_have_ = 0;
    format_ = e.header.format;
    has_format_ = true;
    remaining_ = e.header.bytes;
    e.kind = Event::Kind::header;
    return e;
  }
  const std::size_t frame = format_.bytes_per_frame();
  if (frame_have_ > 0) {
    // Complete the frame that the previous piece of input started.
    std::size_t n = std::min(frame - frame_have_, input.size());
    copy(frame_.data() + frame_have_, input.data(), n);
    frame_have_ += n;
    e.consumed = n;
    if (frame_have_ < frame) return e;
    frame_have_ = 0;
    remaining_ -= frame;
    e.kind = Event::Kind::pcm;
    e.pcm = std::string_view(frame_.data(), frame);
    return e;
  }
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), remaining_));
  std::size_t whole = n - n % frame;
  if (whole == 0) {
    // Less than a frame: hold it until the rest arrives.
    copy(frame_.data(), input.data(), n);
    frame_have_ = n;
    e.consumed = n;
    return e;
  }
  remaining_ -= whole;
  e.consumed = whole;
  e.kind = Event::Kind::pcm;
  e.pcm = input.substr(0, whole);
  return e;
}

} // namespace disorder
