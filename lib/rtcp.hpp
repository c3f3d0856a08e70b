// RTCP (RFC 3550 section 6): the compound packet a sender sends alongside
// its RTP stream — a sender report (6.4.1) followed by an SDES packet with
// its CNAME (6.5) and, for synchronised playout, disorder's SyncTimeline
// APP packet (6.7) — and the one a listener sends back — a receiver report
// with its report blocks, its CNAME and a SyncReport APP packet — written
// field by field in network byte order; and one decoder for both ends that
// refuses anything malformed.  Also NTP timestamps, which sender reports
// carry.  Pure: nothing here allocates, touches a socket or reads a clock,
// so the encoders can run on an audio thread.
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

// A reception report block (RFC 3550 6.4.1), which listeners send in RRs.
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

// ------------------------------------------------- synchronised playout

// disorder's own RTCP APP packets (RFC 3550 6.7), name "DSYN", the
// subtype in the header's count field; other receivers skip them.  Each is
// exactly its size below: the decoder skips a DSYN packet of another size
// or subtype, so a later version extends them with a new subtype.
// disorder_protocol(5), "Synchronised playout".
inline constexpr std::uint8_t kSyncSubtypeTimeline = 0; // sender to listeners
inline constexpr std::uint8_t kSyncSubtypeReport = 1;   // listener to sender

// Follows the SR in each of the sender's compound packets: the sender's
// CLOCK_MONOTONIC at the SR's instant, which with the SR's RTP timestamp
// places the stream on the sender's clock, and the latency every
// listener plays at.  APP data, network byte order: sender_ns (signed
// 64), latency_us (32), flags (32, zero for now).
struct SyncTimeline {
  std::int64_t sender_ns = 0;
  std::uint32_t latency_us = 0;
  std::uint32_t flags = 0;
  bool operator==(const SyncTimeline&) const = default;
};

// A listener's figures, after its RR and SDES.  APP data, network byte
// order, each 32 bits: flags, clock_uncertainty_ns, playout_error_ns
// (signed), drift_ppb (signed), buffer_us, latency_us, concealed_frames,
// output_delay_us.
struct SyncReport {
  static constexpr std::uint32_t kSynchronised = 1; // playing on the sender's timeline
  static constexpr std::uint32_t kLatencyUnmet = 2; // needs more than the shared latency
  std::uint32_t flags = 0;
  std::uint32_t clock_uncertainty_ns = 0;
  std::int32_t playout_error_ns = 0; // late (positive) or early against the timeline
  std::int32_t drift_ppb = 0;        // the sender's clock against ours
  std::uint32_t buffer_us = 0;       // audio held: jitter buffer and output
  std::uint32_t latency_us = 0;      // what it plays at (the shared latency, or more)
  std::uint32_t concealed_frames = 0;
  std::uint32_t output_delay_us = 0; // the output's own delay
  bool operator==(const SyncReport&) const = default;
};

// Bytes the APP packets take in a compound packet.
inline constexpr std::size_t kSyncTimelineSize = 12 + 16;
inline constexpr std::size_t kSyncReportSize = 12 + 32;

// As encode_rtcp_sender_report() and encode_rtcp_bye(), with a
// SyncTimeline APP packet after the SDES (sizes grow by kSyncTimelineSize).
std::size_t encode_rtcp_sender_report(const RtcpSenderInfo& sender, std::string_view cname,
                                      const SyncTimeline& timeline, std::span<std::uint8_t> out);
std::size_t encode_rtcp_bye(const RtcpSenderInfo& sender, std::string_view cname,
                            const SyncTimeline& timeline, std::span<std::uint8_t> out);

// A listener's compound packet: an RR from `ssrc` with `blocks` (at most
// kRtcpMaxReportBlocks), an SDES CNAME and, if given, a SyncReport APP
// packet.  Throws Error as encode_rtcp_sender_report(), or for too many
// blocks.
std::size_t rtcp_receiver_report_size(std::size_t blocks, std::size_t cname_length,
                                      bool sync_report);
std::size_t encode_rtcp_receiver_report(std::uint32_t ssrc, std::span<const RtcpReportBlock> blocks,
                                        std::string_view cname, const SyncReport* report,
                                        std::span<std::uint8_t> out);

// ------------------------------------------------------------------ decoding

// What a listener wants from a sender's compound packet, and a sender from
// a listener's.  Views point into the datagram given to
// decode_rtcp_compound().
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
  // disorder's APP packets, when present and well formed (a malformed one
  // is skipped, not fatal to the compound); the first of each kind counts.
  std::optional<SyncTimeline> timeline;
  std::optional<SyncReport> sync_report;
};

// Parses one UDP datagram as a compound RTCP packet with the validity
// checks of RFC 3550 appendix A.2: every packet is version 2, the first is
// an SR or RR without padding, only the last may be padded, and the
// packets' lengths add up to the datagram's.  SDES chunks and items must
// lie within their packet.  Packet types it does not know (other APP, XR, ...)
// are skipped.  Returns nullopt for anything else; never throws.
std::optional<RtcpCompound> decode_rtcp_compound(std::span<const std::uint8_t> datagram);

} // namespace disorder
