// sniff_format(): magic numbers of the formats disorder-decode reads.
#include "format_sniffer.hpp"

#include <algorithm>
#include <cstdint>

namespace disorder {

namespace {

std::uint8_t byte(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

// An Ogg file's first page holds the first packet of the first logical
// stream, whose opening bytes name the codec.
Sniffed sniff_ogg(std::string_view head) {
  if (head.size() < 27) return {SniffedFormat::ogg_other, true};
  std::size_t segments = byte(head, 26);
  std::string_view packet = head.substr(std::min(head.size(), 27 + segments));
  if (packet.starts_with("\x01vorbis")) return {SniffedFormat::ogg_vorbis, true};
  if (packet.starts_with("OpusHead")) return {SniffedFormat::ogg_opus, true};
  if (packet.starts_with("\x7f"
                         "FLAC"))
    return {SniffedFormat::ogg_flac, true};
  return {SniffedFormat::ogg_other, true};
}

// A plausible MPEG audio frame header: sync, a layer, a bitrate index and
// a sample rate index that are not reserved.
bool mpeg_frame_header(std::string_view h) {
  if (h.size() < 4 || byte(h, 0) != 0xff || (byte(h, 1) & 0xe0) != 0xe0) return false;
  unsigned version = (byte(h, 1) >> 3) & 3, layer = (byte(h, 1) >> 1) & 3;
  unsigned bitrate = byte(h, 2) >> 4, rate = (byte(h, 2) >> 2) & 3;
  return version != 1 && layer != 0 && bitrate != 15 && rate != 3;
}

} // namespace

Sniffed sniff_format(std::string_view head) {
  if (head.starts_with("RIFF") || head.starts_with("RIFX") || head.starts_with("RF64") ||
      head.starts_with("BW64")) {
    if (head.size() >= 12 && head.substr(8, 4) == "WAVE") return {SniffedFormat::wav, true};
    return {};
  }
  if (head.starts_with("fLaC")) return {SniffedFormat::flac, true};
  if (head.starts_with("OggS")) return sniff_ogg(head);
  if (head.starts_with("ID3") && head.size() >= 10) {
    // Skip the tag (its size is four 7-bit bytes, plus a footer when
    // flagged) to see what it was put in front of.
    std::size_t size =
        (std::size_t{byte(head, 6)} & 0x7f) << 21 | (std::size_t{byte(head, 7)} & 0x7f) << 14 |
        (std::size_t{byte(head, 8)} & 0x7f) << 7 | (std::size_t{byte(head, 9)} & 0x7f);
    size += 10 + ((byte(head, 5) & 0x10) ? 10 : 0);
    if (size < head.size() && head.substr(size).starts_with("fLaC"))
      return {SniffedFormat::flac, true};
    return {SniffedFormat::mp3, false};
  }
  if (mpeg_frame_header(head)) return {SniffedFormat::mp3, false};
  return {};
}

} // namespace disorder
