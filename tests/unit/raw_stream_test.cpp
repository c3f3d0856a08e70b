// Unit tests for the raw stream: segment headers byte for byte, and the
// reader that splits a stream arriving in arbitrary pieces.
#include "raw_stream.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using disorder::AudioFormat;
using disorder::decode_raw_header;
using disorder::encode_raw_header;
using disorder::RawSegmentHeader;
using disorder::RawStreamReader;
using disorder::SyntaxError;

namespace {

AudioFormat format(std::uint32_t rate, std::uint8_t channels, std::uint8_t bits,
                   std::endian order) {
  AudioFormat f;
  f.rate = rate;
  f.channels = channels;
  f.bits = bits;
  f.byte_order = order;
  return f;
}

std::string header_bytes(const RawSegmentHeader& h) {
  auto a = encode_raw_header(h);
  return std::string(a.data(), a.size());
}

} // namespace

TEST(RawStream, HeaderLayoutIsBigEndianFieldByField) {
  RawSegmentHeader h{format(44100, 2, 16, std::endian::little), 0x0102030405060708ull & ~3ull};
  std::string b = header_bytes(h);
  ASSERT_EQ(b.size(), 20u);
  EXPECT_EQ(b.substr(0, 4), "DRAW");
  EXPECT_EQ(b[4], 1);  // version
  EXPECT_EQ(b[5], 16); // bits
  EXPECT_EQ(b[6], 2);  // channels
  EXPECT_EQ(b[7], 0);  // little-endian samples
  EXPECT_EQ(b.substr(8, 4), std::string("\x00\x00\xac\x44", 4));
  EXPECT_EQ(b.substr(12, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(header_bytes({format(48000, 1, 24, std::endian::big), 0})[7], 1);
}

TEST(RawStream, HeaderRoundTrips) {
  for (auto f :
       {format(44100, 2, 16, std::endian::little), format(48000, 1, 24, std::endian::big),
        format(8000, 8, 8, std::endian::little), format(768000, 6, 32, std::endian::big)}) {
    RawSegmentHeader h{f, f.bytes_per_frame() * 12345};
    RawSegmentHeader back = decode_raw_header(header_bytes(h));
    EXPECT_EQ(back.format, f);
    EXPECT_EQ(back.bytes, h.bytes);
  }
}

TEST(RawStream, BadHeadersAreRefused) {
  std::string good = header_bytes({format(44100, 2, 16, std::endian::little), 400});
  EXPECT_THROW(decode_raw_header(good.substr(0, 19)), SyntaxError);
  auto with = [&](std::size_t at, char c) {
    std::string b = good;
    b[at] = c;
    return b;
  };
  EXPECT_THROW(decode_raw_header(with(0, 'X')), SyntaxError); // magic
  EXPECT_THROW(decode_raw_header(with(4, 2)), SyntaxError);   // version
  EXPECT_THROW(decode_raw_header(with(5, 12)), SyntaxError);  // bits
  EXPECT_THROW(decode_raw_header(with(6, 0)), SyntaxError);   // channels
  EXPECT_THROW(decode_raw_header(with(6, 9)), SyntaxError);   // channels
  EXPECT_THROW(decode_raw_header(with(19, 3)), SyntaxError);  // not whole frames
  std::string zero_rate = good;
  zero_rate.replace(8, 4, std::string(4, '\0'));
  EXPECT_THROW(decode_raw_header(zero_rate), SyntaxError);
}

namespace {

struct Parsed {
  std::vector<RawSegmentHeader> headers;
  std::string pcm;
  std::vector<std::size_t> pcm_sizes;
  bool clean_end = false;
};

// Feeds `stream` to a reader in pieces of `piece` bytes.
Parsed parse(const std::string& stream, std::size_t piece) {
  Parsed out;
  RawStreamReader r;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    std::string_view in = std::string_view(stream).substr(at, piece);
    while (!in.empty()) {
      auto e = r.next(in);
      in.remove_prefix(e.consumed);
      if (e.kind == RawStreamReader::Event::Kind::header) out.headers.push_back(e.header);
      if (e.kind == RawStreamReader::Event::Kind::pcm) {
        EXPECT_EQ(e.pcm.size() % r.format()->bytes_per_frame(), 0u);
        out.pcm += e.pcm;
        out.pcm_sizes.push_back(e.pcm.size());
      }
      if (e.kind == RawStreamReader::Event::Kind::need_more) {
        EXPECT_TRUE(in.empty());
      }
    }
  }
  out.clean_end = r.at_boundary();
  return out;
}

} // namespace

TEST(RawStreamReader, SplitsSegmentsWhateverThePieceSize) {
  auto stereo16 = format(44100, 2, 16, std::endian::little);
  auto mono24 = format(48000, 1, 24, std::endian::big);
  std::string a(4 * 10, 'a'), b(3 * 7, 'b'), c(4 * 3, 'c');
  std::string stream = header_bytes({stereo16, a.size()}) + a + header_bytes({mono24, b.size()}) +
                       b + header_bytes({mono24, 0}) + header_bytes({stereo16, c.size()}) + c;
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 19u, 20u, 21u, 64u, 1000u}) {
    SCOPED_TRACE(piece);
    Parsed p = parse(stream, piece);
    ASSERT_EQ(p.headers.size(), 4u);
    EXPECT_EQ(p.headers[0].format, stereo16);
    EXPECT_EQ(p.headers[1].format, mono24);
    EXPECT_EQ(p.headers[2].bytes, 0u);
    EXPECT_EQ(p.headers[3].bytes, c.size());
    EXPECT_EQ(p.pcm, a + b + c);
    EXPECT_TRUE(p.clean_end);
  }
}

TEST(RawStreamReader, WholeInputPassesThroughWithoutCopying) {
  auto f = format(44100, 2, 16, std::endian::little);
  std::string pcm(4000, 'x');
  std::string stream = header_bytes({f, pcm.size()}) + pcm;
  Parsed p = parse(stream, stream.size());
  EXPECT_EQ(p.pcm_sizes, std::vector<std::size_t>{4000});
}

TEST(RawStreamReader, ReportsTruncation) {
  auto f = format(44100, 2, 16, std::endian::little);
  std::string stream = header_bytes({f, 400}) + std::string(400, 'x');
  EXPECT_FALSE(parse(stream.substr(0, 10), 3).clean_end);      // inside the header
  EXPECT_FALSE(parse(stream.substr(0, 200), 7).clean_end);     // inside the PCM
  EXPECT_FALSE(parse(stream.substr(0, 202), 7).clean_end);     // inside a frame
  EXPECT_EQ(parse(stream.substr(0, 202), 7).pcm.size(), 180u); // whole frames only
  EXPECT_TRUE(parse("", 1).clean_end);
}

TEST(RawStreamReader, BadHeaderThrows) {
  RawStreamReader r;
  std::string junk = "RIFF" + std::string(16, '\0');
  EXPECT_THROW(r.next(junk), SyntaxError);
}
