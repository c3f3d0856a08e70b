// libFuzzer target for RTCP (lib/rtcp.*): any bytes as one datagram to the
// compound-packet decoder that disorder-playrtp runs on what arrives at its
// RTCP port; and the same bytes read as a sender's state and CNAME, encoded
// as a sender report and as a BYE and decoded again.  nullopt is a correct
// answer for a datagram; a crash, a view outside the datagram, a count
// beyond the format's bounds or a broken round trip is a bug.
#include "big_endian.hpp"
#include "error.hpp"
#include "rtcp.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

void check_decoded(std::span<const std::uint8_t> datagram) {
  const auto c = disorder::decode_rtcp_compound(datagram);
  if (!c) return;
  require(c->block_count <= disorder::kRtcpMaxReportBlocks);
  if (c->cname) {
    const auto* begin = reinterpret_cast<const std::uint8_t*>(c->cname->data());
    require(c->cname->size() <= disorder::kSdesItemMax);
    require(begin >= datagram.data() &&
            begin + c->cname->size() <= datagram.data() + datagram.size());
  }
}

// The first 28 bytes are the sender's state; the rest is its CNAME.
void check_round_trip(std::span<const std::uint8_t> data) {
  if (data.size() < 28) return;
  disorder::RtcpSenderInfo s;
  s.ssrc = disorder::get32(data.data());
  s.ntp = std::uint64_t{disorder::get32(data.data() + 4)} << 32 | disorder::get32(data.data() + 8);
  s.rtp_timestamp = disorder::get32(data.data() + 12);
  s.packet_count = disorder::get32(data.data() + 16);
  s.octet_count = disorder::get32(data.data() + 20);
  const std::int64_t unix_ns = static_cast<std::int32_t>(disorder::get32(data.data() + 24));
  const std::string_view cname(reinterpret_cast<const char*>(data.data() + 28), data.size() - 28);
  std::array<std::uint8_t, 1024> out;
  try {
    const std::size_t n = disorder::encode_rtcp_sender_report(s, cname, out);
    require(n == disorder::rtcp_sender_report_size(cname.size()) && n % 4 == 0);
    const auto back = disorder::decode_rtcp_compound(std::span(out).first(n));
    require(back && back->sender == s && back->reporter_ssrc == s.ssrc && !back->bye);
    require(back->cname == cname && back->cname_ssrc == s.ssrc);

    const std::size_t m = disorder::encode_rtcp_bye(s, cname, out);
    require(m == disorder::rtcp_bye_size(cname.size()));
    const auto bye = disorder::decode_rtcp_compound(std::span(out).first(m));
    require(bye && bye->bye && bye->bye_ssrc == s.ssrc && bye->sender == s);
  } catch (const disorder::Error&) {
    // Only a CNAME the encoder must refuse.
    require(cname.empty() || cname.size() > disorder::kSdesItemMax);
  }
  // NTP time goes there and back to the nanosecond across a signed 32-bit
  // range of seconds around the epoch (1901 to 2038).
  const std::int64_t t = unix_ns * 1'000'000'000 + (s.octet_count % 1'000'000'000);
  require(disorder::unix_ns_from_ntp(disorder::ntp_from_unix_ns(t)) == t ||
          t < -2'208'988'800LL * 1'000'000'000 + 0x80000000LL * 1'000'000'000);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  check_decoded(input);
  check_round_trip(input);
  return 0;
}
