// Unit tests for the WAV parser: the layouts it accepts, what it refuses
// and why, and files damaged in the ways real ones are.
#include "server/decode/wav_parser.hpp"

#include "server/decode/byte_source.hpp"
#include "server/decode/decode_error.hpp"

#include <gtest/gtest.h>

#include <string>

using disorder::convert_wav_samples;
using disorder::DecodeError;
using disorder::MemoryByteSource;
using disorder::parse_wav;
using disorder::WavLayout;

namespace {

std::string le16(unsigned v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8)};
}
std::string le32(std::uint32_t v) {
  return le16(v & 0xffff) + le16(v >> 16);
}

std::string chunk(const std::string& id, const std::string& body, bool pad = true) {
  std::string c = id + le32(static_cast<std::uint32_t>(body.size())) + body;
  if (pad && body.size() % 2) c += '\0';
  return c;
}

std::string fmt_body(unsigned tag, unsigned channels, unsigned rate, unsigned bits,
                     unsigned block_align = 0) {
  if (!block_align) block_align = channels * ((bits + 7) / 8);
  return le16(tag) + le16(channels) + le32(rate) + le32(rate * block_align) + le16(block_align) +
         le16(bits);
}

// WAVE_FORMAT_EXTENSIBLE with the given subformat tag.
std::string extensible_body(unsigned subformat, unsigned channels, unsigned rate, unsigned bits,
                            unsigned valid_bits) {
  static const char suffix[] = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71";
  return fmt_body(0xfffe, channels, rate, bits) + le16(22) + le16(valid_bits) + le32(3) +
         le16(subformat) + std::string(suffix, 14);
}

std::string riff(const std::string& chunks) {
  return "RIFF" + le32(static_cast<std::uint32_t>(4 + chunks.size())) + "WAVE" + chunks;
}

WavLayout parse(const std::string& file) {
  MemoryByteSource source({file.data(), file.size()});
  return parse_wav(source);
}

std::string error_of(const std::string& file) {
  try {
    parse(file);
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace

TEST(WavParser, Pcm16Stereo) {
  std::string pcm(4 * 100, '\x11');
  std::string file = riff(chunk("fmt ", fmt_body(1, 2, 44100, 16)) + chunk("data", pcm));
  WavLayout l = parse(file);
  EXPECT_EQ(l.format.rate, 44100u);
  EXPECT_EQ(l.format.channels, 2u);
  EXPECT_EQ(l.format.bits, 16u);
  EXPECT_EQ(l.format.byte_order, std::endian::little);
  EXPECT_FALSE(l.unsigned_samples);
  EXPECT_EQ(l.data_offset, 44u);
  EXPECT_EQ(l.data_bytes, pcm.size());
  EXPECT_FALSE(l.truncated);
}

TEST(WavParser, EightBitIsUnsignedAndConvertedToSigned) {
  std::string samples("\x00\x80\xff", 3);
  WavLayout l = parse(riff(chunk("fmt ", fmt_body(1, 1, 8000, 8)) + chunk("data", samples)));
  EXPECT_EQ(l.format.bits, 8u);
  EXPECT_TRUE(l.unsigned_samples);
  EXPECT_EQ(l.data_bytes, 3u);
  convert_wav_samples(l, samples);
  EXPECT_EQ(samples, std::string("\x80\x00\x7f", 3)); // -128, 0, 127
  // Wider samples are already signed and little-endian: left alone.
  WavLayout l16 = parse(riff(chunk("fmt ", fmt_body(1, 1, 8000, 16)) + chunk("data", "ab")));
  std::string s16 = "ab";
  convert_wav_samples(l16, s16);
  EXPECT_EQ(s16, "ab");
}

TEST(WavParser, Widths24And32AndOddWidthsInContainers) {
  EXPECT_EQ(
      parse(riff(chunk("fmt ", fmt_body(1, 2, 48000, 24)) + chunk("data", std::string(12, 0))))
          .format.bits,
      24u);
  EXPECT_EQ(parse(riff(chunk("fmt ", fmt_body(1, 1, 48000, 32)) + chunk("data", std::string(8, 0))))
                .format.bits,
            32u);
  // 12-bit samples sit left-justified in 16-bit containers.
  WavLayout l = parse(riff(chunk("fmt ", fmt_body(1, 1, 8000, 12)) + chunk("data", "abcd")));
  EXPECT_EQ(l.format.bits, 16u);
  EXPECT_EQ(l.data_bytes, 4u);
}

TEST(WavParser, ExtensiblePcm) {
  WavLayout l = parse(riff(chunk("fmt ", extensible_body(1, 2, 96000, 24, 20)) +
                           chunk("data", std::string(60, 0))));
  EXPECT_EQ(l.format.rate, 96000u);
  EXPECT_EQ(l.format.bits, 24u);
  EXPECT_EQ(l.data_bytes, 60u);
}

TEST(WavParser, SkipsOtherChunksAndPadBytes) {
  std::string file =
      riff(chunk("LIST", "INFOxyz") + chunk("fmt ", fmt_body(1, 1, 22050, 8)) +
           chunk("junk", std::string(1001, 'j')) + chunk("data", "abc") + chunk("id3 ", "tag"));
  WavLayout l = parse(file);
  EXPECT_EQ(l.format.rate, 22050u);
  EXPECT_EQ(file.substr(l.data_offset, l.data_bytes), "abc");
}

TEST(WavParser, DataBeforeFmtIsFound) {
  std::string file = riff(chunk("data", "wxyz") + chunk("fmt ", fmt_body(1, 2, 8000, 8)));
  WavLayout l = parse(file);
  EXPECT_EQ(file.substr(l.data_offset, l.data_bytes), "wxyz");
}

TEST(WavParser, UnknownSizesRunToTheEndOfTheFile) {
  // What a writer that could not seek back leaves behind.
  std::string file = "RIFF" + le32(0xffffffff) + "WAVE" + chunk("fmt ", fmt_body(1, 2, 44100, 16)) +
                     "data" + le32(0xffffffff) + std::string(4 * 50 + 3, 'p');
  WavLayout l = parse(file);
  EXPECT_EQ(l.data_bytes, 200u); // whole frames only
  EXPECT_FALSE(l.truncated);
}

TEST(WavParser, TruncatedDataIsPlayableButFlagged) {
  std::string file =
      riff(chunk("fmt ", fmt_body(1, 2, 44100, 16)) + chunk("data", std::string(400, 'p')));
  file.resize(file.size() - 101);
  WavLayout l = parse(file);
  EXPECT_TRUE(l.truncated);
  EXPECT_EQ(l.declared_bytes, 400u);
  EXPECT_EQ(l.data_bytes, 296u);
}

TEST(WavParser, RefusesWhatItCannotPlay) {
  EXPECT_EQ(error_of(""), "file is empty");
  EXPECT_EQ(error_of("RIFF"), "file is too short to be a WAV file");
  EXPECT_EQ(error_of("RIFF" + le32(4) + "AVI "), "not a WAV file (no RIFF/WAVE header)");
  EXPECT_EQ(error_of("RF64" + le32(0xffffffff) + "WAVE"),
            "RF64 (64-bit WAV) files are not supported");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(2, 1, 8000, 4, 256)) + chunk("data", "x"))),
            "compressed WAV (format 0x0002, Microsoft ADPCM) is not supported");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(0x55, 2, 44100, 0, 1)) + chunk("data", "x"))),
            "compressed WAV (format 0x0055, MPEG layer 3) is not supported");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(3, 2, 44100, 32)) + chunk("data", "x"))),
            "floating-point WAV is not supported");
  EXPECT_EQ(
      error_of(riff(chunk("fmt ", extensible_body(3, 2, 44100, 32, 32)) + chunk("data", "x"))),
      "floating-point WAV is not supported");
  EXPECT_EQ(
      error_of(riff(chunk("fmt ", extensible_body(0x11, 2, 44100, 16, 16)) + chunk("data", "x"))),
      "compressed WAV (format 0x0011, IMA ADPCM) is not supported");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(1, 9, 44100, 16)) + chunk("data", "x"))),
            "WAV file with 9 channels is not supported (at most 8)");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(1, 2, 44100, 16, 3)) + chunk("data", "x"))),
            "WAV block alignment 3 does not match 2 channels of 16 bits");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(1, 2, 0, 16)) + chunk("data", "x"))),
            "WAV sample rate 0 Hz is not supported");
  EXPECT_EQ(error_of(riff(chunk("fmt ", "short") + chunk("data", "x"))),
            "WAV fmt chunk is too short");
  EXPECT_EQ(error_of(riff(chunk("data", "x"))), "WAV file has no fmt chunk");
  EXPECT_EQ(error_of(riff(chunk("fmt ", fmt_body(1, 2, 44100, 16)))), "WAV file has no data chunk");
}

TEST(WavParser, GarbageChunkSizesEndTheWalk) {
  // A chunk claiming to be larger than the file hides everything after it.
  std::string file = riff(chunk("fmt ", fmt_body(1, 2, 44100, 16)) + "LIST" + le32(0x7ffffff0) +
                          chunk("data", "abcd"));
  EXPECT_EQ(error_of(file), "WAV file has no data chunk");
  std::string many = riff(std::string(8 * 5000, '\0'));
  EXPECT_EQ(error_of(many), "WAV file has too many chunks");
}
