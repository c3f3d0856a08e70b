// RTCP sender reports, SDES CNAME and BYE, encoded and decoded with
// explicit byte order; NTP timestamp conversion.
#include "rtcp.hpp"

#include "big_endian.hpp"
#include "error.hpp"

#include <cstring>

namespace disorder {

namespace {

constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kHeaderSize = 4;      // V P count | PT | length
constexpr std::size_t kSenderInfoSize = 20; // NTP (8), RTP timestamp, packets, octets
constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kSrSize = kHeaderSize + 4 + kSenderInfoSize; // without report blocks
constexpr std::size_t kByeSize = kHeaderSize + 4;                  // one SSRC, no reason

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
  return kSrSize + sdes_size(cname_length);
}

std::size_t encode_rtcp_sender_report(const RtcpSenderInfo& sender, std::string_view cname,
                                      std::span<std::uint8_t> out) {
  check_cname(cname);
  const std::size_t size = rtcp_sender_report_size(cname.size());
  if (out.size() < size) throw Error("RTCP buffer too small");
  std::uint8_t* p = out.data();
  p += put_sender_report(sender, p);
  put_sdes(sender.ssrc, cname, p);
  return size;
}

std::size_t rtcp_bye_size(std::size_t cname_length) {
  return rtcp_sender_report_size(cname_length) + kByeSize;
}

std::size_t encode_rtcp_bye(const RtcpSenderInfo& sender, std::string_view cname,
                            std::span<std::uint8_t> out) {
  check_cname(cname);
  const std::size_t size = rtcp_bye_size(cname.size());
  if (out.size() < size) throw Error("RTCP buffer too small");
  std::uint8_t* p = out.data();
  p += put_sender_report(sender, p);
  p += put_sdes(sender.ssrc, cname, p);
  put_header(p, 1, kRtcpBye, kByeSize);
  put32(p + 4, sender.ssrc);
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
    }
    first = false;
    offset += size;
  }
  if (first) return std::nullopt; // empty
  return out;
}

} // namespace disorder
