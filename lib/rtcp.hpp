// RTCP (RFC 3550 section 6): the compound packet a sender sends alongside
// its RTP stream — a sender report (6.4.1) followed by an SDES packet with
// its CNAME (6.5) — written field by field in network byte order, and a
// decoder for listeners that refuses anything malformed.  Also NTP
// timestamps, which sender reports carry.  Pure: nothing here allocates,
// touches a socket or reads a clock, so the encoder can run on an audio
// thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace disorder {

// Packet types (RFC 3550 section 12.1).
inline constexpr std::uint8_t kRtcpSenderReport = 200;
inline constexpr std::uint8_t kRtcpReceiverReport = 201;
inline constexpr std::uint8_t kRtcpSourceDescription = 202;
inline constexpr std::uint8_t kRtcpBye = 203;
inline constexpr std::uint8_t kRtcpApp = 204;
// SDES item types (RFC 3550 section 12.2).
inline constexpr std::uint8_t kSdesEnd = 0;
inline constexpr std::uint8_t kSdesCname = 1;

// The longest SDES item text (its length is one octet).
inline constexpr std::size_t kSdesItemMax = 255;
// Report blocks per SR or RR: the count field has five bits.
inline constexpr std::size_t kRtcpMaxReportBlocks = 31;

// ------------------------------------------------------------------- NTP time

// NTP timestamps are 64-bit fixed point: seconds since 1900-01-01 00:00 UTC
// in the high 32 bits (wrapping in 2036), the fraction in the low 32.
inline constexpr std::int64_t kNtpUnixOffsetSeconds = 2208988800;

// From nanoseconds since the Unix epoch (CLOCK_REALTIME).
std::uint64_t ntp_from_unix_ns(std::int64_t unix_ns);
// Back to nanoseconds since the Unix epoch.  NTP seconds below 2^31 are
// taken to be after the 2036 wrap (RFC 4330 section 3), so this is right
// from 1968 to 2104.
std::int64_t unix_ns_from_ntp(std::uint64_t ntp);
// The middle 32 bits, as report blocks and "last SR" fields use them.
inline std::uint32_t ntp_middle32(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

// ------------------------------------------------------------------ encoding

// A sender's view of its stream at one instant (RFC 3550 6.4.1).
struct RtcpSenderInfo {
  std::uint32_t ssrc = 0;
  std::uint64_t ntp = 0;           // wall-clock time of the instant
  std::uint32_t rtp_timestamp = 0; // the RTP timestamp of the same instant
  std::uint32_t packet_count = 0;  // RTP data packets sent since the stream began
  std::uint32_t octet_count = 0;   // their payload octets (not headers or padding)

  bool operator==(const RtcpSenderInfo&) const = default;
};

// Bytes encode_rtcp_sender_report() writes for a CNAME of this length.
std::size_t rtcp_sender_report_size(std::size_t cname_length);

// Writes one compound packet: an SR without report blocks, then an SDES
// packet with one chunk, the sender's CNAME.  Returns the bytes written.
// Throws Error if out is too small or the CNAME is empty or longer than
// kSdesItemMax; it does not allocate otherwise.
std::size_t encode_rtcp_sender_report(const RtcpSenderInfo& sender, std::string_view cname,
                                      std::span<std::uint8_t> out);

// Bytes encode_rtcp_bye() writes.
std::size_t rtcp_bye_size(std::size_t cname_length);

// A compound packet announcing that ssrc leaves: an SR (as above, which
// RFC 3550 6.1 wants at the head of every compound packet), the SDES
// CNAME, and a BYE without a reason.  Throws as encode_rtcp_sender_report.
std::size_t encode_rtcp_bye(const RtcpSenderInfo& sender, std::string_view cname,
                            std::span<std::uint8_t> out);

// ------------------------------------------------------------------ decoding

struct RtcpReportBlock {
  std::uint32_t ssrc = 0;                // the source this block is about
  std::uint8_t fraction_lost = 0;        // since the last report, out of 256
  std::int32_t cumulative_lost = 0;      // 24-bit signed on the wire
  std::uint32_t highest_sequence = 0;    // extended highest sequence number received
  std::uint32_t jitter = 0;              // interarrival jitter, in timestamp units
  std::uint32_t last_sr = 0;             // middle 32 bits of the last SR's NTP time
  std::uint32_t delay_since_last_sr = 0; // in 1/65536 s

  bool operator==(const RtcpReportBlock&) const = default;
};

// What a listener wants from one compound packet.  Views point into the
// datagram given to decode_rtcp_compound().
struct RtcpCompound {
  // From an SR (nullopt for an RR).
  std::optional<RtcpSenderInfo> sender;
  // The SSRC of the SR's or RR's sender.
  std::uint32_t reporter_ssrc = 0;
  // The report blocks of the leading SR or RR.
  std::array<RtcpReportBlock, kRtcpMaxReportBlocks> blocks{};
  std::size_t block_count = 0;
  // The first CNAME in an SDES packet, and whose it is.
  std::optional<std::string_view> cname;
  std::uint32_t cname_ssrc = 0;
  // A BYE: the first SSRC it names (a BYE with none is still a BYE).
  bool bye = false;
  std::uint32_t bye_ssrc = 0;
};

// Parses one UDP datagram as a compound RTCP packet with the validity
// checks of RFC 3550 appendix A.2: every packet is version 2, the first is
// an SR or RR without padding, only the last may be padded, and the
// packets' lengths add up to the datagram's.  SDES chunks and items must
// lie within their packet.  Packet types it does not know (APP, XR, ...)
// are skipped.  Returns nullopt for anything else; never throws.
std::optional<RtcpCompound> decode_rtcp_compound(std::span<const std::uint8_t> datagram);

} // namespace disorder
