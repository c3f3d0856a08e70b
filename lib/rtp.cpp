// RTP header encoding and decoding with explicit byte order.
#include "rtp.hpp"

#include "big_endian.hpp"
#include "error.hpp"

namespace disorder {

std::uint8_t rtp_payload_type(const AudioFormat& format) {
  if (format.bits == 16 && format.byte_order == std::endian::big && format.rate == 44100) {
    if (format.channels == 2) return kRtpPayloadL16Stereo;
    if (format.channels == 1) return kRtpPayloadL16Mono;
  }
  return kRtpPayloadDynamic;
}

std::size_t encode_rtp_header(const RtpHeader& h, std::span<std::uint8_t> out) {
  if (h.payload_type > 127) throw Error("RTP payload type out of range");
  if (h.csrc_count > 15) throw Error("RTP CSRC count out of range");
  const std::size_t n = h.size();
  if (out.size() < n) throw Error("RTP header buffer too small");
  std::uint8_t* p = out.data();
  // V(2) P(1) X(1) CC(4) | M(1) PT(7) | sequence(16) | timestamp(32) | SSRC(32)
  p[0] = static_cast<std::uint8_t>(kRtpVersion << 6 | (h.padding ? 0x20 : 0) |
                                   (h.extension ? 0x10 : 0) | h.csrc_count);
  p[1] = static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | h.payload_type);
  put16(p + 2, h.sequence);
  put32(p + 4, h.timestamp);
  put32(p + 8, h.ssrc);
  for (std::size_t i = 0; i < h.csrc_count; ++i)
    put32(p + kRtpHeaderSize + 4 * i, h.csrc[i]);
  return n;
}

std::optional<RtpPacket> decode_rtp_packet(std::span<const std::uint8_t> d) {
  if (d.size() < kRtpHeaderSize) return std::nullopt;
  const std::uint8_t* p = d.data();
  if ((p[0] >> 6) != kRtpVersion) return std::nullopt;
  RtpPacket packet;
  RtpHeader& h = packet.header;
  h.padding = p[0] & 0x20;
  h.extension = p[0] & 0x10;
  h.csrc_count = p[0] & 0x0f;
  h.marker = p[1] & 0x80;
  h.payload_type = p[1] & 0x7f;
  h.sequence = get16(p + 2);
  h.timestamp = get32(p + 4);
  h.ssrc = get32(p + 8);
  std::size_t offset = h.size();
  if (d.size() < offset) return std::nullopt;
  for (std::size_t i = 0; i < h.csrc_count; ++i)
    h.csrc[i] = get32(p + kRtpHeaderSize + 4 * i);
  if (h.extension) {
    // 16 bits profile-defined, 16 bits length in 32-bit words (RFC 3550 5.3.1).
    if (d.size() < offset + 4) return std::nullopt;
    const std::size_t words = get16(p + offset + 2);
    offset += 4 + 4 * words;
    if (d.size() < offset) return std::nullopt;
  }
  std::size_t end = d.size();
  if (h.padding) {
    const std::size_t pad = p[end - 1];
    if (pad == 0 || pad > end - offset) return std::nullopt;
    end -= pad;
  }
  packet.payload = d.subspan(offset, end - offset);
  return packet;
}

} // namespace disorder
