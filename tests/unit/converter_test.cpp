// Unit tests for the speaker's sample format conversion: bits, byte order,
// channels, rate (libsoxr), streaming in pieces, and the software volume.
#include "audio/converter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using disorder::apply_gain;
using disorder::AudioFormat;
using disorder::Converter;
using disorder::volume_to_gain;

namespace {

AudioFormat fmt(std::uint32_t rate, std::uint8_t channels, std::uint8_t bits, std::endian order) {
  AudioFormat f;
  f.rate = rate;
  f.channels = channels;
  f.bits = bits;
  f.byte_order = order;
  return f;
}

constexpr auto LE = std::endian::little;
constexpr auto BE = std::endian::big;

// Samples (already at the format's width, e.g. -32768..32767 for 16 bits)
// to bytes, written out by hand so that the test shares no code with the
// converter.
std::string pack(const std::vector<std::int64_t>& samples, const AudioFormat& f) {
  std::string out;
  const unsigned bytes = f.bits / 8;
  for (std::int64_t s : samples) {
    const auto u = static_cast<std::uint64_t>(s);
    for (unsigned i = 0; i < bytes; ++i) {
      const unsigned shift = f.byte_order == BE ? 8 * (bytes - 1 - i) : 8 * i;
      out.push_back(static_cast<char>((u >> shift) & 0xff));
    }
  }
  return out;
}

std::vector<std::int64_t> unpack(const std::string& bytes, const AudioFormat& f) {
  std::vector<std::int64_t> out;
  const unsigned n = f.bits / 8;
  for (std::size_t at = 0; at + n <= bytes.size(); at += n) {
    std::uint64_t u = 0;
    for (unsigned i = 0; i < n; ++i) {
      const unsigned shift = f.byte_order == BE ? 8 * (n - 1 - i) : 8 * i;
      u |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << shift;
    }
    // Sign-extend from f.bits.
    const std::uint64_t sign = std::uint64_t{1} << (f.bits - 1);
    out.push_back(static_cast<std::int64_t>((u ^ sign)) - static_cast<std::int64_t>(sign));
  }
  return out;
}

// Converts all of `in` in one go (with a generous output buffer) and drains.
std::string convert_all(Converter& c, const std::string& in) {
  std::string out;
  std::vector<char> buf(1 << 20);
  std::string_view rest = in;
  while (!rest.empty()) {
    auto r = c.convert(rest, buf);
    out.append(buf.data(), r.produced);
    rest.remove_prefix(r.consumed);
    if (r.consumed == 0 && r.produced == 0) break;
  }
  while (std::size_t n = c.drain(buf))
    out.append(buf.data(), n);
  return out;
}

// The same, but in random pieces into a small output buffer, as the
// speaker's loop does with a pipe and a nearly full track buffer.
std::string convert_in_pieces(Converter& c, const std::string& in, unsigned seed) {
  std::mt19937 rng(seed);
  const std::size_t obpf = c.output_format().bytes_per_frame();
  std::string out;
  std::size_t at = 0;
  std::string_view pending;
  std::string piece;
  while (at < in.size() || !pending.empty()) {
    if (pending.empty()) {
      const std::size_t n = std::min<std::size_t>(in.size() - at, 1 + rng() % 5000);
      piece = in.substr(at, n);
      at += n;
      pending = piece;
    }
    std::vector<char> buf(obpf * (1 + rng() % 700));
    auto r = c.convert(pending, buf);
    out.append(buf.data(), r.produced);
    pending.remove_prefix(r.consumed);
    if (r.consumed == 0 && r.produced == 0) {
      // A partial frame at the end of a piece: join it to the next one.
      const std::size_t n = std::min<std::size_t>(in.size() - at, 4096);
      piece = std::string(pending) + in.substr(at, n);
      at += n;
      pending = piece;
      if (n == 0) break;
    }
  }
  for (;;) {
    std::vector<char> buf(obpf * (1 + rng() % 300));
    std::size_t n = c.drain(buf);
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

std::vector<std::int64_t> sine(double freq, std::uint32_t rate, std::size_t frames,
                               unsigned channels, double amplitude) {
  std::vector<std::int64_t> s;
  for (std::size_t i = 0; i < frames; ++i)
    for (unsigned c = 0; c < channels; ++c)
      s.push_back(std::llround(amplitude * std::sin(2 * M_PI * freq * i / rate)));
  return s;
}

std::size_t zero_crossings(const std::vector<std::int64_t>& s, unsigned channels,
                           unsigned channel) {
  std::size_t n = 0;
  for (std::size_t i = channels + channel; i < s.size(); i += channels)
    if ((s[i - channels] < 0) != (s[i] < 0)) ++n;
  return n;
}

} // namespace

TEST(Converter, WideningIsExactAndNarrowingTruncates) {
  const std::vector<std::int64_t> s16 = {0, 1, -1, 32767, -32768, 12345, -12345};
  {
    Converter c;
    c.configure(fmt(44100, 1, 16, LE), fmt(44100, 1, 24, BE));
    auto out = unpack(convert_all(c, pack(s16, fmt(44100, 1, 16, LE))), fmt(44100, 1, 24, BE));
    ASSERT_EQ(out.size(), s16.size());
    for (std::size_t i = 0; i < s16.size(); ++i)
      EXPECT_EQ(out[i], s16[i] * 256);
  }
  {
    Converter c;
    c.configure(fmt(44100, 1, 16, BE), fmt(44100, 1, 32, LE));
    auto out = unpack(convert_all(c, pack(s16, fmt(44100, 1, 16, BE))), fmt(44100, 1, 32, LE));
    for (std::size_t i = 0; i < s16.size(); ++i)
      EXPECT_EQ(out[i], s16[i] * 65536);
  }
  const std::vector<std::int64_t> s24 = {0, 255, 256, -1, -256, -257, 8388607, -8388608, 1000000};
  {
    Converter c;
    c.configure(fmt(44100, 1, 24, LE), fmt(44100, 1, 16, LE));
    auto out = unpack(convert_all(c, pack(s24, fmt(44100, 1, 24, LE))), fmt(44100, 1, 16, LE));
    ASSERT_EQ(out.size(), s24.size());
    for (std::size_t i = 0; i < s24.size(); ++i)
      EXPECT_EQ(out[i], s24[i] >> 8) << "sample " << s24[i]; // arithmetic shift: floor
  }
  {
    const std::vector<std::int64_t> s32 = {0, 65535, 65536, -65537, 2147483647, -2147483648ll};
    Converter c;
    c.configure(fmt(44100, 1, 32, BE), fmt(44100, 1, 16, BE));
    auto out = unpack(convert_all(c, pack(s32, fmt(44100, 1, 32, BE))), fmt(44100, 1, 16, BE));
    for (std::size_t i = 0; i < s32.size(); ++i)
      EXPECT_EQ(out[i], s32[i] >> 16);
  }
  {
    const std::vector<std::int64_t> s8 = {0, 1, -1, 127, -128};
    Converter c;
    c.configure(fmt(44100, 1, 8, LE), fmt(44100, 1, 16, LE));
    auto out = unpack(convert_all(c, pack(s8, fmt(44100, 1, 8, LE))), fmt(44100, 1, 16, LE));
    for (std::size_t i = 0; i < s8.size(); ++i)
      EXPECT_EQ(out[i], s8[i] * 256);
  }
}

TEST(Converter, ByteOrderSwapIsBitExact) {
  std::vector<std::int64_t> s;
  for (int v = -32768; v < 32768; v += 7)
    s.push_back(v);
  Converter c;
  c.configure(fmt(44100, 2, 16, LE), fmt(44100, 2, 16, BE));
  const std::string in = pack(s, fmt(44100, 2, 16, LE));
  const std::string out = convert_all(c, in.substr(0, in.size() - in.size() % 4));
  ASSERT_EQ(out.size(), in.size() - in.size() % 4);
  for (std::size_t i = 0; i + 1 < out.size(); i += 2) {
    EXPECT_EQ(out[i], in[i + 1]);
    EXPECT_EQ(out[i + 1], in[i]);
  }
}

TEST(Converter, MonoToStereoDuplicatesAndStereoToMonoAverages) {
  {
    Converter c;
    c.configure(fmt(48000, 1, 16, LE), fmt(48000, 2, 16, LE));
    auto out =
        unpack(convert_all(c, pack({5, -7, 32767}, fmt(48000, 1, 16, LE))), fmt(48000, 2, 16, LE));
    EXPECT_EQ(out, (std::vector<std::int64_t>{5, 5, -7, -7, 32767, 32767}));
  }
  {
    Converter c;
    c.configure(fmt(48000, 2, 16, LE), fmt(48000, 1, 16, LE));
    auto out = unpack(
        convert_all(c, pack({4, 6, -3, -4, 32767, 32767, -32768, -32768}, fmt(48000, 2, 16, LE))),
        fmt(48000, 1, 16, LE));
    EXPECT_EQ(out, (std::vector<std::int64_t>{5, -4, 32767, -32768}));
  }
}

TEST(Converter, SurroundIsMixedDownWithoutClippingOrLfe) {
  // 5.1 in WAVE order: FL FR FC LFE BL BR.
  Converter c;
  c.configure(fmt(44100, 6, 16, LE), fmt(44100, 2, 16, LE));
  auto out = unpack(convert_all(c, pack({32767,  0,      0,      0,      0,      0, // left only
                                         0,      0,      0,      32767,  0,      0, // LFE only
                                         0,      0,      20000,  0,      0,      0, // centre only
                                         32767,  32767,  32767,  32767,  32767,  32767, // all full
                                         -32768, -32768, -32768, -32768, -32768, -32768},
                                        fmt(44100, 6, 16, LE))),
                    fmt(44100, 2, 16, LE));
  ASSERT_EQ(out.size(), 10u);
  const double norm = 1 + 2 * std::sqrt(0.5); // L + 0.707 C + 0.707 BL
  EXPECT_NEAR(out[0], 32767 / norm, 2);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 0);
  EXPECT_NEAR(out[4], 20000 * std::sqrt(0.5) / norm, 2);
  EXPECT_EQ(out[4], out[5]);
  EXPECT_NEAR(out[6], 32767, 2);
  EXPECT_LE(out[6], 32767);
  EXPECT_NEAR(out[8], -32768, 2);
  EXPECT_GE(out[8], -32768);
}

TEST(Converter, ResamplingKeepsLengthAndPitch) {
  // One second of 1 kHz at 48 kHz, 24-bit mono, to 44.1 kHz 16-bit stereo.
  const auto in_format = fmt(48000, 1, 24, LE);
  const auto out_format = fmt(44100, 2, 16, BE);
  const std::string in = pack(sine(1000, 48000, 48000, 1, 4000000), in_format);
  Converter c;
  c.configure(in_format, out_format);
  EXPECT_TRUE(c.resampling());
  const auto out = unpack(convert_in_pieces(c, in, 1), out_format);
  ASSERT_EQ(out.size() % 2, 0u);
  const std::size_t frames = out.size() / 2;
  EXPECT_NEAR(static_cast<double>(frames), 44100.0, 5.0);
  // 1 kHz for a second: 2000 zero crossings, on both channels.
  EXPECT_NEAR(static_cast<double>(zero_crossings(out, 2, 0)), 2000.0, 4.0);
  for (std::size_t i = 0; i < out.size(); i += 2)
    ASSERT_EQ(out[i], out[i + 1]);
  // The level is kept (4000000 / 256 = 15625 peak), well away from the edges.
  std::int64_t peak = 0;
  for (std::size_t i = 2000; i < out.size() - 2000; ++i)
    peak = std::max<std::int64_t>(peak, std::llabs(out[i]));
  EXPECT_NEAR(static_cast<double>(peak), 15625.0, 200.0);
}

TEST(Converter, StreamingInPiecesMatchesOneGo) {
  for (auto [in_format, out_format] : {std::pair{fmt(22050, 2, 16, LE), fmt(44100, 2, 16, LE)},
                                       std::pair{fmt(44100, 2, 16, LE), fmt(44100, 1, 24, BE)},
                                       std::pair{fmt(96000, 8, 32, BE), fmt(44100, 2, 16, LE)}}) {
    const std::string in = pack(sine(440, in_format.rate, in_format.rate / 3, in_format.channels,
                                     in_format.bits == 32 ? 1e9 : 10000),
                                in_format);
    Converter a, b;
    a.configure(in_format, out_format);
    b.configure(in_format, out_format);
    const std::string one_go = convert_all(a, in);
    const std::string pieces = convert_in_pieces(b, in, 7);
    EXPECT_EQ(one_go.size(), pieces.size()) << in_format.to_string();
    EXPECT_TRUE(one_go == pieces) << in_format.to_string();
    EXPECT_NEAR(static_cast<double>(one_go.size() / out_format.bytes_per_frame()),
                out_format.rate / 3.0, 5.0)
        << in_format.to_string();
  }
}

TEST(Converter, ReconfigureAfterDrain) {
  Converter c;
  c.configure(fmt(48000, 2, 16, LE), fmt(44100, 2, 16, LE));
  const std::string a =
      convert_all(c, pack(sine(500, 48000, 4800, 2, 8000), fmt(48000, 2, 16, LE)));
  EXPECT_NEAR(static_cast<double>(a.size() / 4), 4410.0, 3.0);
  c.configure(fmt(44100, 2, 16, LE), fmt(44100, 2, 16, LE));
  EXPECT_FALSE(c.resampling());
  const std::string in = pack({1, 2, 3, 4}, fmt(44100, 2, 16, LE));
  EXPECT_EQ(convert_all(c, in), in);
}

TEST(Converter, PartialFramesAreNotConsumed) {
  Converter c;
  c.configure(fmt(44100, 2, 16, LE), fmt(44100, 2, 16, LE));
  std::vector<char> buf(64);
  auto r = c.convert(std::string_view("abcdefg", 7), buf);
  EXPECT_EQ(r.consumed, 4u);
  EXPECT_EQ(r.produced, 4u);
  r = c.convert(std::string_view("efg", 3), buf);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.produced, 0u);
  // No room for a whole output frame.
  r = c.convert(std::string_view("abcd", 4), std::span<char>(buf.data(), 3));
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.produced, 0u);
}

TEST(Volume, GainCurve) {
  EXPECT_EQ(volume_to_gain(100), 65536u);
  EXPECT_EQ(volume_to_gain(0), 0u);
  EXPECT_NEAR(volume_to_gain(50) / 65536.0, std::pow(10.0, -30.0 / 20.0), 1e-4);
  for (int v = 1; v <= 100; ++v)
    EXPECT_GT(volume_to_gain(v), volume_to_gain(v - 1));
}

TEST(Volume, ApplyGainPerChannel) {
  const auto f = fmt(44100, 2, 16, BE);
  std::string data = pack({1000, 1000, -1000, -1000, 32767, -32768}, f);
  const std::string original = data;
  apply_gain(data, f, 65536, 65536);
  EXPECT_EQ(data, original);
  apply_gain(data, f, 32768, 0);
  EXPECT_EQ(unpack(data, f), (std::vector<std::int64_t>{500, 0, -500, 0, 16383, 0}));
  const auto f24 = fmt(44100, 1, 24, LE);
  std::string mono = pack({800000, -800000}, f24);
  apply_gain(mono, f24, 65536, 0); // mono: the mean of the two
  EXPECT_EQ(unpack(mono, f24), (std::vector<std::int64_t>{400000, -400000}));
}
