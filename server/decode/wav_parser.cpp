// RIFF/WAVE parsing.  WAV files in the wild carry chunks we do not care
// about (LIST, id3, bext, JUNK, ...), odd chunk sizes with a pad byte, and
// size fields left at 0xFFFFFFFF by writers that could not seek back: the
// walk tolerates all of these and insists only on what it needs.
#include "wav_parser.hpp"

#include "decode_error.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace disorder {

namespace {

// A file with more chunks than this before its audio is not a WAV file
// anyone made on purpose; stopping bounds the work a hostile one causes.
constexpr int kMaxChunks = 4096;
// What the writer puts in a size field it could not fill in.
constexpr std::uint32_t kUnknownSize = 0xffffffff;

constexpr std::uint16_t kFormatPcm = 0x0001;
constexpr std::uint16_t kFormatFloat = 0x0003;
constexpr std::uint16_t kFormatExtensible = 0xfffe;
// The last 14 bytes of every KSDATAFORMAT_SUBTYPE_* GUID; the first two are
// the format tag the subtype stands for.
constexpr std::array<unsigned char, 14> kSubformatSuffix = {
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

std::uint16_t le16(const char* p) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) |
                                    static_cast<unsigned char>(p[1]) << 8);
}

std::uint32_t le32(const char* p) {
  return static_cast<std::uint32_t>(le16(p)) | static_cast<std::uint32_t>(le16(p + 2)) << 16;
}

// Names for the format tags people are most likely to meet, so that the
// refusal says what the file is.
const char* format_name(std::uint16_t tag) {
  switch (tag) {
  case 0x0002:
    return "Microsoft ADPCM";
  case 0x0006:
    return "A-law";
  case 0x0007:
    return "mu-law";
  case 0x0011:
    return "IMA ADPCM";
  case 0x0031:
    return "GSM 6.10";
  case 0x0050:
    return "MPEG";
  case 0x0055:
    return "MPEG layer 3";
  case 0x00ff:
    return "AAC";
  case 0x2000:
    return "AC-3";
  default:
    return nullptr;
  }
}

std::string describe_tag(std::uint16_t tag) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%04x", tag);
  const char* name = format_name(tag);
  return name ? std::string(hex) + ", " + name : std::string(hex);
}

// The fmt chunk's body (at most its first 40 bytes, all we read).
void parse_fmt(std::string_view body, WavLayout& layout) {
  if (body.size() < 16) throw DecodeError("WAV fmt chunk is too short");
  const char* p = body.data();
  std::uint16_t tag = le16(p);
  std::uint16_t channels = le16(p + 2);
  std::uint32_t rate = le32(p + 4);
  std::uint16_t block_align = le16(p + 12);
  std::uint16_t bits = le16(p + 14);
  if (tag == kFormatExtensible) {
    if (body.size() < 40 || le16(p + 16) < 22)
      throw DecodeError("WAV fmt chunk is too short for WAVE_FORMAT_EXTENSIBLE");
    if (!std::equal(kSubformatSuffix.begin(), kSubformatSuffix.end(),
                    reinterpret_cast<const unsigned char*>(p + 26)))
      throw DecodeError("WAVE_FORMAT_EXTENSIBLE file with an unknown subformat is not supported");
    tag = le16(p + 24);
    // Extensible files give the container size in bits per sample (the
    // valid bits, at p + 18, only say how many of them carry signal).
    if (bits % 8 != 0)
      throw DecodeError("WAV container of " + std::to_string(bits) + " bits is not supported");
  }
  if (tag == kFormatFloat) throw DecodeError("floating-point WAV is not supported");
  if (tag != kFormatPcm)
    throw DecodeError("compressed WAV (format " + describe_tag(tag) + ") is not supported");
  if (channels == 0) throw DecodeError("WAV file has no channels");
  if (channels > 8)
    throw DecodeError("WAV file with " + std::to_string(channels) +
                      " channels is not supported (at most 8)");
  if (bits == 0 || bits > 32)
    throw DecodeError("WAV samples of " + std::to_string(bits) + " bits are not supported");
  if (rate == 0 || rate > 768000)
    throw DecodeError("WAV sample rate " + std::to_string(rate) + " Hz is not supported");
  // Samples narrower than their container are left-justified in it, so a
  // 12-bit file plays correctly as 16-bit.
  unsigned container = (bits + 7u) / 8u * 8u;
  if (block_align != channels * container / 8u)
    throw DecodeError("WAV block alignment " + std::to_string(block_align) + " does not match " +
                      std::to_string(channels) + " channels of " + std::to_string(container) +
                      " bits");
  layout.format.rate = rate;
  layout.format.channels = static_cast<std::uint8_t>(channels);
  layout.format.bits = static_cast<std::uint8_t>(container);
  layout.format.byte_order = std::endian::little;
  layout.unsigned_samples = container == 8;
}

} // namespace

WavLayout parse_wav(ByteSource& source) {
  const std::uint64_t size = source.size();
  std::array<char, 12> riff;
  std::size_t got = source.read_at(0, riff);
  std::string_view head(riff.data(), got);
  if (got == 0) throw DecodeError("file is empty");
  if (got < riff.size()) throw DecodeError("file is too short to be a WAV file");
  if (head.substr(0, 4) == "RF64" || head.substr(0, 4) == "BW64")
    throw DecodeError("RF64 (64-bit WAV) files are not supported");
  if (head.substr(0, 4) == "RIFX")
    throw DecodeError("big-endian (RIFX) WAV files are not supported");
  if (head.substr(0, 4) != "RIFF" || head.substr(8, 4) != "WAVE")
    throw DecodeError("not a WAV file (no RIFF/WAVE header)");

  WavLayout layout;
  bool have_fmt = false;
  // The data chunk's body offset and declared size, once seen.
  std::optional<std::pair<std::uint64_t, std::uint32_t>> data;
  std::uint64_t pos = 12;
  for (int n = 0; !(have_fmt && data); ++n) {
    if (n == kMaxChunks) throw DecodeError("WAV file has too many chunks");
    std::array<char, 8> header;
    if (source.read_at(pos, header) < header.size()) break;
    std::string_view id(header.data(), 4);
    std::uint32_t chunk_size = le32(header.data() + 4);
    std::uint64_t body = pos + 8;
    if (id == "fmt " && !have_fmt) {
      std::array<char, 40> fmt;
      std::size_t want = std::min<std::uint64_t>(chunk_size, fmt.size());
      std::size_t have = source.read_at(body, std::span(fmt).first(want));
      parse_fmt(std::string_view(fmt.data(), have), layout);
      have_fmt = true;
    } else if (id == "data" && !data) {
      data.emplace(body, chunk_size);
      // A data chunk of unknown size runs to the end of the file, so
      // nothing can follow it.
      if (chunk_size == kUnknownSize) break;
    }
    pos = body + chunk_size + (chunk_size & 1u);
  }
  if (!have_fmt) throw DecodeError("WAV file has no fmt chunk");
  if (!data) throw DecodeError("WAV file has no data chunk");

  auto [offset, declared] = *data;
  std::uint64_t present = offset < size ? size - offset : 0;
  std::uint64_t bytes = present;
  if (declared != kUnknownSize) {
    layout.declared_bytes = declared;
    if (declared <= present)
      bytes = declared;
    else
      layout.truncated = true;
  } else {
    layout.declared_bytes = present;
  }
  layout.data_offset = offset;
  layout.data_bytes = bytes - bytes % layout.format.bytes_per_frame();
  return layout;
}

void convert_wav_samples(const WavLayout& layout, std::span<char> pcm) {
  if (layout.unsigned_samples)
    for (char& c : pcm)
      c = static_cast<char>(c ^ 0x80);
}

} // namespace disorder
