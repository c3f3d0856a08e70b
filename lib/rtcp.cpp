// RTCP sender and receiver reports, SDES CNAME, BYE and disorder's "DSYN"
// APP packets, encoded and decoded with explicit byte order; NTP timestamp
// conversion.
#include "rtcp.hpp"

#include "big_endian.hpp"
#include "error.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace disorder {

namespace {

constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kHeaderSize = 4;      // V P count | PT | length
constexpr std::size_t kSenderInfoSize = 20; // NTP (8), RTP timestamp, packets, octets
constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kSrSize = kHeaderSize + 4 + kSenderInfoSize; // without report blocks
constexpr std::size_t kRrSize = kHeaderSize + 4;                   // without report blocks
constexpr std::size_t kByeSize = kHeaderSize + 4;                  // one SSRC, no reason
// An APP packet's header, SSRC and name come before its data.
constexpr std::size_t kAppFixedSize = kHeaderSize + 4 + 4;
constexpr std::uint8_t kSyncName[4] = {'D', 'S', 'Y', 'N'};
static_assert(kSyncTimelineSize == kAppFixedSize + 16);
static_assert(kSyncReportSize == kAppFixedSize + 32);

// A packet header: `count` (RC or SC) in the low five bits; `size` is
// the whole packet in bytes, a multiple of four.
void put_header(std::uint8_t* p, std::uint8_t count, std::uint8_t type, std::size_t size) {
  p[0] = static_cast<std::uint8_t>(kVersion << 6 | count);
  p[1] = type;
  put16(p + 2, static_cast<std::uint16_t>(size / 4 - 1));
}

// An SDES chunk with one CNAME item, its null terminator and padding to a
// 32-bit boundary (RFC 3550 6.5: at least one null octet ends the list).
std::size_t sdes_chunk_size(std::size_t cname_length) {
  return (4 + 2 + cname_length + 1 + 3) / 4 * 4;
}

std::size_t sdes_size(std::size_t cname_length) {
  return kHeaderSize + sdes_chunk_size(cname_length);
}

void check_cname(std::string_view cname) {
  if (cname.empty() || cname.size() > kSdesItemMax)
    throw Error("RTCP CNAME must be 1 to 255 bytes, not " + std::to_string(cname.size()));
}

std::size_t put_sender_report(const RtcpSenderInfo& s, std::uint8_t* p) {
  put_header(p, 0, kRtcpSenderReport, kSrSize);
  put32(p + 4, s.ssrc);
  put32(p + 8, static_cast<std::uint32_t>(s.ntp >> 32));
  put32(p + 12, static_cast<std::uint32_t>(s.ntp));
  put32(p + 16, s.rtp_timestamp);
  put32(p + 20, s.packet_count);
  put32(p + 24, s.octet_count);
  return kSrSize;
}

std::size_t put_sdes(std::uint32_t ssrc, std::string_view cname, std::uint8_t* p) {
  const std::size_t size = sdes_size(cname.size());
  put_header(p, 1, kRtcpSourceDescription, size);
  put32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<std::uint8_t>(cname.size());
  std::memcpy(p + 10, cname.data(), cname.size());
  // The end-of-list item and the padding after it are all zero.
  std::memset(p + 10 + cname.size(), 0, size - 10 - cname.size());
  return size;
}

std::size_t put_bye(std::uint32_t ssrc, std::uint8_t* p) {
  put_header(p, 1, kRtcpBye, kByeSize);
  put32(p + 4, ssrc);
  return kByeSize;
}

// The 24-bit signed cumulative loss, clamped as RFC 3550 6.4.1 asks.
void put_signed24(std::uint8_t* p, std::int32_t v) {
  v = std::clamp(v, -0x800000, 0x7fffff);
  const auto u = static_cast<std::uint32_t>(v) & 0xffffff;
  p[0] = static_cast<std::uint8_t>(u >> 16);
  p[1] = static_cast<std::uint8_t>(u >> 8);
  p[2] = static_cast<std::uint8_t>(u);
}

std::size_t put_receiver_report(std::uint32_t ssrc, std::span<const RtcpReportBlock> blocks,
                                std::uint8_t* p) {
  const std::size_t size = kRrSize + blocks.size() * kReportBlockSize;
  put_header(p, static_cast<std::uint8_t>(blocks.size()), kRtcpReceiverReport, size);
  put32(p + 4, ssrc);
  std::uint8_t* q = p + kRrSize;
  for (const RtcpReportBlock& b : blocks) {
    put32(q, b.ssrc);
    q[4] = b.fraction_lost;
    put_signed24(q + 5, b.cumulative_lost);
    put32(q + 8, b.highest_sequence);
    put32(q + 12, b.jitter);
    put32(q + 16, b.last_sr);
    put32(q + 20, b.delay_since_last_sr);
    q += kReportBlockSize;
  }
  return size;
}

// A "DSYN" APP packet's header, SSRC and name; its data follows.
std::uint8_t* put_sync_app(std::uint8_t subtype, std::uint32_t ssrc, std::size_t size,
                           std::uint8_t* p) {
  put_header(p, subtype, kRtcpApp, size);
  put32(p + 4, ssrc);
  std::memcpy(p + 8, kSyncName, 4);
  return p + kAppFixedSize;
}

std::size_t put_timeline(std::uint32_t ssrc, const SyncTimeline& t, std::uint8_t* p) {
  std::uint8_t* d = put_sync_app(kSyncSubtypeTimeline, ssrc, kSyncTimelineSize, p);
  put64(d, static_cast<std::uint64_t>(t.sender_ns));
  put32(d + 8, t.latency_us);
  put32(d + 12, t.flags);
  return kSyncTimelineSize;
}

std::size_t put_sync_report(std::uint32_t ssrc, const SyncReport& r, std::uint8_t* p) {
  std::uint8_t* d = put_sync_app(kSyncSubtypeReport, ssrc, kSyncReportSize, p);
  put32(d, r.flags);
  put32(d + 4, r.clock_uncertainty_ns);
  put32(d + 8, static_cast<std::uint32_t>(r.playout_error_ns));
  put32(d + 12, static_cast<std::uint32_t>(r.drift_ppb));
  put32(d + 16, r.buffer_us);
  put32(d + 20, r.latency_us);
  put32(d + 24, r.concealed_frames);
  put32(d + 28, r.output_delay_us);
  return kSyncReportSize;
}

void check_room(std::span<std::uint8_t> out, std::size_t size) {
  if (out.size() < size) throw Error("RTCP buffer too small");
}

// Every compound packet a sender sends: the SR, the SDES CNAME, then if
// asked the timeline and a BYE (last, as RFC 3550 6.1 wants).
std::size_t sender_compound_size(std::size_t cname_length, bool timeline, bool bye) {
  return kSrSize + sdes_size(cname_length) + (timeline ? kSyncTimelineSize : 0) +
         (bye ? kByeSize : 0);
}

std::size_t encode_sender_compound(const RtcpSenderInfo& sender, std::string_view cname,
                                   const SyncTimeline* timeline, bool bye,
                                   std::span<std::uint8_t> out) {
  check_cname(cname);
  const std::size_t size = sender_compound_size(cname.size(), timeline != nullptr, bye);
  check_room(out, size);
  std::uint8_t* p = out.data();
  p += put_sender_report(sender, p);
  p += put_sdes(sender.ssrc, cname, p);
  if (timeline) p += put_timeline(sender.ssrc, *timeline, p);
  if (bye) put_bye(sender.ssrc, p);
  return size;
}

// The sign-extended 24-bit cumulative loss.
std::int32_t get_signed24(const std::uint8_t* p) {
  std::int32_t v = p[0] << 16 | p[1] << 8 | p[2];
  if (v & 0x800000) v -= 0x1000000;
  return v;
}

// The first CNAME of an SDES packet's body (after the header), if any.
// False if the chunks run past the packet.
bool parse_sdes(std::span<const std::uint8_t> body, std::size_t chunks, RtcpCompound& out) {
  std::size_t i = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    if (body.size() - i < 4) return false;
    const std::uint32_t ssrc = get32(body.data() + i);
    i += 4;
    for (;;) {
      if (i >= body.size()) return false; // no end-of-list item
      const std::uint8_t type = body[i];
      if (type == kSdesEnd) {
        // The end item, then nulls up to the next 32-bit boundary.
        i = (i + 1 + 3) / 4 * 4;
        if (i > body.size()) return false;
        break;
      }
      if (body.size() - i < 2) return false;
      const std::size_t length = body[i + 1];
      if (body.size() - i - 2 < length) return false;
      if (type == kSdesCname && !out.cname) {
        out.cname = std::string_view(reinterpret_cast<const char*>(body.data() + i + 2), length);
        out.cname_ssrc = ssrc;
      }
      i += 2 + length;
    }
  }
  return true;
}

// disorder's APP packets ("DSYN"), from an APP packet's body (after the
// header).  Anything else, and a DSYN packet of an unknown subtype or the
// wrong length (a later version's, or a broken one), is skipped: the rest
// of the compound packet stays good.
void parse_app(std::span<const std::uint8_t> body, std::size_t subtype, RtcpCompound& out) {
  if (body.size() < 8 || std::memcmp(body.data() + 4, kSyncName, 4) != 0) return;
  const std::uint8_t* d = body.data() + 8;
  const std::size_t data_size = body.size() - 8;
  if (subtype == kSyncSubtypeTimeline && data_size == kSyncTimelineSize - kAppFixedSize &&
      !out.timeline) {
    SyncTimeline t;
    t.sender_ns = static_cast<std::int64_t>(get64(d));
    t.latency_us = get32(d + 8);
    t.flags = get32(d + 12);
    out.timeline = t;
  } else if (subtype == kSyncSubtypeReport && data_size == kSyncReportSize - kAppFixedSize &&
             !out.sync_report) {
    SyncReport r;
    r.flags = get32(d);
    r.clock_uncertainty_ns = get32(d + 4);
    r.playout_error_ns = static_cast<std::int32_t>(get32(d + 8));
    r.drift_ppb = static_cast<std::int32_t>(get32(d + 12));
    r.buffer_us = get32(d + 16);
    r.latency_us = get32(d + 20);
    r.concealed_frames = get32(d + 24);
    r.output_delay_us = get32(d + 28);
    out.sync_report = r;
  }
}

} // namespace

// ------------------------------------------------------------------- NTP time

std::uint64_t ntp_from_unix_ns(std::int64_t unix_ns) {
  // Floor division, so that instants before 1970 work too.
  std::int64_t seconds = unix_ns / 1000000000;
  std::int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  const auto ntp_seconds = static_cast<std::uint32_t>(seconds + kNtpUnixOffsetSeconds);
  // Rounded to the nearest 2^-32 s, so that a round trip is exact to the
  // nanosecond; below 2^32 for any nanos < 10^9.
  const std::uint64_t fraction =
      ((static_cast<std::uint64_t>(nanos) << 32) + 500000000) / 1000000000;
  return std::uint64_t{ntp_seconds} << 32 | fraction;
}

std::int64_t unix_ns_from_ntp(std::uint64_t ntp) {
  const auto ntp_seconds = static_cast<std::uint32_t>(ntp >> 32);
  const std::uint64_t fraction = ntp & 0xffffffffu;
  std::int64_t seconds = ntp_seconds;
  if (ntp_seconds < 0x80000000u) seconds += std::int64_t{1} << 32; // era 1: from 2036
  seconds -= kNtpUnixOffsetSeconds;
  const auto nanos = static_cast<std::int64_t>((fraction * 1000000000 + (1u << 31)) >> 32);
  return seconds * 1000000000 + nanos;
}

// ------------------------------------------------------------------ encoding

std::size_t rtcp_sender_report_size(std::size_t cname_length) {
  return sender_compound_size(cname_length, false, false);
}

std::size_t encode_rtcp_sender_report(const RtcpSenderInfo& sender, std::string_view cname,
                                      std::span<std::uint8_t> out) {
  return encode_sender_compound(sender, cname, nullptr, false, out);
}

std::size_t encode_rtcp_sender_report(const RtcpSenderInfo& sender, std::string_view cname,
                                      const SyncTimeline& timeline, std::span<std::uint8_t> out) {
  return encode_sender_compound(sender, cname, &timeline, false, out);
}

std::size_t rtcp_bye_size(std::size_t cname_length) {
  return sender_compound_size(cname_length, false, true);
}

std::size_t encode_rtcp_bye(const RtcpSenderInfo& sender, std::string_view cname,
                            std::span<std::uint8_t> out) {
  return encode_sender_compound(sender, cname, nullptr, true, out);
}

std::size_t encode_rtcp_bye(const RtcpSenderInfo& sender, std::string_view cname,
                            const SyncTimeline& timeline, std::span<std::uint8_t> out) {
  return encode_sender_compound(sender, cname, &timeline, true, out);
}

std::size_t rtcp_receiver_report_size(std::size_t blocks, std::size_t cname_length,
                                      bool sync_report) {
  return kRrSize + blocks * kReportBlockSize + sdes_size(cname_length) +
         (sync_report ? kSyncReportSize : 0);
}

std::size_t encode_rtcp_receiver_report(std::uint32_t ssrc, std::span<const RtcpReportBlock> blocks,
                                        std::string_view cname, const SyncReport* report,
                                        std::span<std::uint8_t> out) {
  check_cname(cname);
  if (blocks.size() > kRtcpMaxReportBlocks)
    throw Error("an RTCP receiver report holds at most 31 report blocks, not " +
                std::to_string(blocks.size()));
  const std::size_t size = rtcp_receiver_report_size(blocks.size(), cname.size(), report);
  check_room(out, size);
  std::uint8_t* p = out.data();
  p += put_receiver_report(ssrc, blocks, p);
  p += put_sdes(ssrc, cname, p);
  if (report) put_sync_report(ssrc, *report, p);
  return size;
}

// ------------------------------------------------------------------ decoding

std::optional<RtcpCompound> decode_rtcp_compound(std::span<const std::uint8_t> d) {
  RtcpCompound out;
  std::size_t offset = 0;
  bool first = true;
  while (offset < d.size()) {
    if (d.size() - offset < kHeaderSize) return std::nullopt;
    const std::uint8_t* p = d.data() + offset;
    if ((p[0] >> 6) != kVersion) return std::nullopt;
    const bool padding = p[0] & 0x20;
    const std::size_t count = p[0] & 0x1f;
    const std::uint8_t type = p[1];
    const std::size_t size = (std::size_t{get16(p + 2)} + 1) * 4;
    if (size > d.size() - offset) return std::nullopt;
    const bool last = offset + size == d.size();
    if (first && type != kRtcpSenderReport && type != kRtcpReceiverReport) return std::nullopt;
    if (padding && (first || !last)) return std::nullopt;
    std::size_t body_size = size - kHeaderSize;
    if (padding) {
      const std::size_t pad = p[size - 1];
      if (pad == 0 || pad > body_size) return std::nullopt;
      body_size -= pad;
    }
    const std::span<const std::uint8_t> body(p + kHeaderSize, body_size);
    if (type == kRtcpSenderReport || type == kRtcpReceiverReport) {
      const std::size_t fixed = type == kRtcpSenderReport ? 4 + kSenderInfoSize : 4;
      // Profile-specific extensions may follow the blocks: allowed, ignored.
      if (body.size() < fixed + count * kReportBlockSize) return std::nullopt;
      if (first) {
        out.reporter_ssrc = get32(body.data());
        if (type == kRtcpSenderReport) {
          RtcpSenderInfo s;
          s.ssrc = out.reporter_ssrc;
          s.ntp = std::uint64_t{get32(body.data() + 4)} << 32 | get32(body.data() + 8);
          s.rtp_timestamp = get32(body.data() + 12);
          s.packet_count = get32(body.data() + 16);
          s.octet_count = get32(body.data() + 20);
          out.sender = s;
        }
        for (std::size_t b = 0; b < count; ++b) {
          const std::uint8_t* q = body.data() + fixed + b * kReportBlockSize;
          RtcpReportBlock& block = out.blocks[b];
          block.ssrc = get32(q);
          block.fraction_lost = q[4];
          block.cumulative_lost = get_signed24(q + 5);
          block.highest_sequence = get32(q + 8);
          block.jitter = get32(q + 12);
          block.last_sr = get32(q + 16);
          block.delay_since_last_sr = get32(q + 20);
        }
        out.block_count = count;
      }
    } else if (type == kRtcpSourceDescription) {
      if (!parse_sdes(body, count, out)) return std::nullopt;
    } else if (type == kRtcpBye) {
      if (body.size() < 4 * count) return std::nullopt;
      // An optional reason: a length octet and that many octets.
      if (body.size() > 4 * count && body[4 * count] > body.size() - 4 * count - 1)
        return std::nullopt;
      if (!out.bye && count > 0) out.bye_ssrc = get32(body.data());
      out.bye = true;
    } else if (type == kRtcpApp) {
      parse_app(body, count, out);
    }
    first = false;
    offset += size;
  }
  if (first) return std::nullopt; // empty
  return out;
}

} // namespace disorder
