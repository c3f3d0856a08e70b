// The RTP fixed header (RFC 3550 section 5.1), written and read field by
// field in network byte order, and the payload types disorder uses for
// linear PCM (RFC 3551).  Shared by disorder-speaker (sender) and the LAN
// listener (receiver).  Pure: nothing here allocates or touches a socket.
#pragma once

#include "audio_format.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace disorder {

inline constexpr std::size_t kRtpHeaderSize = 12; // without CSRCs or extension
inline constexpr std::uint8_t kRtpVersion = 2;

// Static payload types for 16-bit big-endian linear PCM (RFC 3551 table 4):
// L16 at 44.1 kHz, two channels and one.  Every other format is sent as
// dynamic payload type 96; a receiver learns its format from elsewhere (an
// SDP description or its configuration).
inline constexpr std::uint8_t kRtpPayloadL16Stereo = 10;
inline constexpr std::uint8_t kRtpPayloadL16Mono = 11;
inline constexpr std::uint8_t kRtpPayloadDynamic = 96;

// 10, 11 or 96 for the format, as above.
std::uint8_t rtp_payload_type(const AudioFormat& format);

struct RtpHeader {
  bool padding = false;          // the payload ends with padding (last byte = its length)
  bool extension = false;        // a header extension follows the CSRC list
  bool marker = false;           // audio: the first packet after a silence
  std::uint8_t payload_type = 0; // 0..127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0; // 0..15
  std::array<std::uint32_t, 15> csrc{};

  bool operator==(const RtpHeader&) const = default;
  // Bytes encode_rtp_header() writes: 12 + 4 per CSRC.
  std::size_t size() const { return kRtpHeaderSize + 4u * csrc_count; }
};

// Writes the fixed header and CSRC list (not an extension: `extension` is
// written as given, the caller appends the extension itself) to the front
// of out and returns the number of bytes written.  Throws Error if out is
// smaller than header.size() or a field is out of range.
std::size_t encode_rtp_header(const RtpHeader& header, std::span<std::uint8_t> out);

// A received packet: its header and where its payload is (inside the
// buffer given to decode_rtp_packet, without extension or padding).
struct RtpPacket {
  RtpHeader header;
  std::span<const std::uint8_t> payload;
};

// Parses one UDP datagram.  Returns nullopt for anything that is not a
// well-formed RTP version 2 packet (too short, wrong version, CSRC list,
// extension or padding running past the end); never throws, so that a
// receiver can drop garbage cheaply.
std::optional<RtpPacket> decode_rtp_packet(std::span<const std::uint8_t> datagram);

// Sequence number arithmetic modulo 2^16 (RFC 3550 appendix A.1): the
// signed distance from a to b, in -32768..32767.
inline std::int16_t rtp_sequence_delta(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(b - a));
}

} // namespace disorder
