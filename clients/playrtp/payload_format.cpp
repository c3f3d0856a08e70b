// Payload types to audio formats, and network-order sample decoding.
#include "payload_format.hpp"

#include "error.hpp"
#include "rtp.hpp"

#include <charconv>
#include <string>

namespace disorder::playrtp {

std::optional<AudioFormat> payload_format(std::uint8_t pt, const AudioFormat& dynamic) {
  AudioFormat f;
  f.bits = 16;
  f.rate = 44100;
  f.byte_order = std::endian::big;
  if (pt == kRtpPayloadL16Stereo) {
    f.channels = 2;
    return f;
  }
  if (pt == kRtpPayloadL16Mono) {
    f.channels = 1;
    return f;
  }
  if (pt >= kRtpPayloadDynamic && pt <= 127) return dynamic;
  return std::nullopt;
}

namespace {

unsigned long parse_number(std::string_view text, std::string_view what) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw SyntaxError("format " + std::string(what) + " '" + std::string(text) +
                      "' is not a number");
  return v;
}

} // namespace

AudioFormat parse_payload_format(std::string_view text) {
  const auto a = text.find('/');
  const auto b = a == std::string_view::npos ? a : text.find('/', a + 1);
  if (b == std::string_view::npos)
    throw SyntaxError("format '" + std::string(text) + "' is not BITS/RATE/CHANNELS");
  const unsigned long bits = parse_number(text.substr(0, a), "bits");
  const unsigned long rate = parse_number(text.substr(a + 1, b - a - 1), "rate");
  const unsigned long channels = parse_number(text.substr(b + 1), "channels");
  if (bits != 16 && bits != 24)
    throw SyntaxError("format bits must be 16 or 24 (RTP L16 or L24), not " + std::to_string(bits));
  if (rate < 1 || rate > 768000)
    throw SyntaxError("format rate " + std::to_string(rate) + " is out of range");
  if (channels < 1 || channels > 8)
    throw SyntaxError("format channels must be 1 to 8, not " + std::to_string(channels));
  AudioFormat f;
  f.bits = static_cast<std::uint8_t>(bits);
  f.rate = static_cast<std::uint32_t>(rate);
  f.channels = static_cast<std::uint8_t>(channels);
  f.byte_order = std::endian::big;
  return f;
}

void decode_network_samples(const char* in, std::int32_t* out, std::size_t samples, unsigned bits) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  if (bits == 24) {
    for (std::size_t i = 0; i < samples; ++i, p += 3)
      out[i] = static_cast<std::int32_t>(std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 |
                                         std::uint32_t{p[2]} << 8);
    return;
  }
  for (std::size_t i = 0; i < samples; ++i, p += 2)
    out[i] = static_cast<std::int32_t>(std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16);
}

} // namespace disorder::playrtp
