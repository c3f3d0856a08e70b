// Payload types to audio formats, and network-order sample decoding.
#include "payload_format.hpp"

#include "error.hpp"
#include "rtp.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace disorder::playrtp {

AudioFormat opus_decoded_format() {
  AudioFormat f;
  f.bits = 16;
  f.rate = 48000;
  f.channels = 2;
  f.byte_order = std::endian::big;
  return f;
}

bool payload_is_opus(std::uint8_t pt, bool dynamic_opus) {
  return dynamic_opus && pt >= kRtpPayloadDynamic && pt <= 127;
}

std::optional<AudioFormat> payload_format(std::uint8_t pt, const AudioFormat& dynamic,
                                          bool dynamic_opus) {
  if (payload_is_opus(pt, dynamic_opus)) return opus_decoded_format();
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

std::optional<SdpPayload> sdp_dynamic_payload(const std::vector<std::string>& lines) {
  // The first payload type of the audio media line is the one sent.
  std::optional<unsigned long> pt;
  for (const std::string& line : lines) {
    if (line.rfind("m=audio ", 0) != 0) continue;
    const auto last = line.find_last_of(' ');
    try {
      pt = parse_number(std::string_view(line).substr(last + 1), "payload type");
    } catch (const SyntaxError&) {
    }
    break;
  }
  if (!pt || *pt < kRtpPayloadDynamic || *pt > 127) return std::nullopt;
  const std::string prefix = "a=rtpmap:" + std::to_string(*pt) + " ";
  for (const std::string& line : lines) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string_view map = std::string_view(line).substr(prefix.size());
    while (!map.empty() && (map.back() == ' ' || map.back() == '\r'))
      map.remove_suffix(1);
    SdpPayload p;
    p.pt = static_cast<std::uint8_t>(*pt);
    const auto slash = map.find('/');
    std::string name(map.substr(0, slash));
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    try {
      if (name == "opus") {
        // RFC 7587: always opus/48000/2, whatever the content.
        p.opus = true;
        p.format = opus_decoded_format();
        return p;
      }
      if ((name == "l16" || name == "l24") && slash != std::string_view::npos) {
        std::string rest(map.substr(slash + 1));
        if (rest.find('/') == std::string::npos) rest += "/1"; // RFC 4566: one channel
        p.format = parse_payload_format((name == "l16" ? "16/" : "24/") + rest);
        return p;
      }
    } catch (const SyntaxError&) {
    }
    return std::nullopt;
  }
  return std::nullopt;
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
