// libFuzzer target for RTCP (lib/rtcp.*) and the clock exchange
// (lib/time_exchange.*), which share a socket: any bytes as one datagram to
// the compound-packet decoder that disorder-playrtp and the speaker run on
// what arrives at their RTCP ports, and to the time request and answer
// decoders; and the same bytes read as a sender's state, timeline and
// CNAME, encoded as a sender report and as a BYE (with and without the
// timeline), as a listener's receiver report with its SyncReport, and
// decoded again.  nullopt is a correct answer for a datagram; a crash, a
// view outside the datagram, a count beyond the format's bounds or a
// broken round trip is a bug.  The same bytes, 32 at a time, are also
// exchanges for a ClockEstimator (the other host's instants come from the
// network): it must neither crash nor overflow (UBSan), whatever they say.
#include "big_endian.hpp"
#include "clock_estimator.hpp"
#include "error.hpp"
#include "rtcp.hpp"
#include "time_exchange.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

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
  // What decodes as one kind of packet is not another: a time packet is
  // never RTCP, and a request never an answer.
  const auto request = disorder::decode_time_request(datagram);
  const auto answer = disorder::decode_time_answer(datagram);
  require(!(request && answer));
  if (request || answer) {
    require(!c && disorder::is_time_packet(datagram) &&
            datagram.size() == disorder::kTimePacketSize);
    // Encoding it again gives the same bytes, but for the zero padding
    // (and, in a request, t2 and t3), which the decoders do not read.
    std::array<std::uint8_t, disorder::kTimePacketSize> again;
    if (request)
      disorder::encode_time_request(*request, again);
    else
      disorder::encode_time_answer(*answer, again);
    require(std::memcmp(again.data(), datagram.data(), 6) == 0);
    require(std::memcmp(again.data() + 8, datagram.data() + 8, request ? 8 : 24) == 0);
  }
  if (disorder::is_time_packet(datagram)) require(!c);
}

disorder::SyncTimeline timeline_from(const std::uint8_t* p) {
  disorder::SyncTimeline t;
  t.sender_ns = static_cast<std::int64_t>(disorder::get64(p));
  t.latency_us = disorder::get32(p + 8);
  t.flags = disorder::get32(p + 12);
  return t;
}

disorder::SyncReport report_from(const std::uint8_t* p) {
  disorder::SyncReport r;
  r.flags = disorder::get32(p);
  r.clock_uncertainty_ns = disorder::get32(p + 4);
  r.playout_error_ns = static_cast<std::int32_t>(disorder::get32(p + 8));
  r.drift_ppb = static_cast<std::int32_t>(disorder::get32(p + 12));
  r.buffer_us = disorder::get32(p + 16);
  r.latency_us = disorder::get32(p + 20);
  r.concealed_frames = ~disorder::get32(p);
  r.output_delay_us = ~disorder::get32(p + 4);
  return r;
}

// The first 28 bytes make a listener's SSRC, report blocks (as many as the
// first byte says, modulo 32) and SyncReport; the rest is its CNAME.
void check_receiver_round_trip(std::span<const std::uint8_t> data) {
  if (data.size() < 28) return;
  const std::uint32_t ssrc = disorder::get32(data.data());
  const std::size_t count = data[0] % 32;
  std::vector<disorder::RtcpReportBlock> blocks(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = data.data() + i % 4;
    auto& b = blocks[i];
    b.ssrc = disorder::get32(p) + static_cast<std::uint32_t>(i);
    b.fraction_lost = p[4];
    // Within the 24 bits the wire holds (the encoder clamps the rest).
    b.cumulative_lost = static_cast<std::int32_t>(disorder::get32(p + 4) << 8) >> 8;
    b.highest_sequence = disorder::get32(p + 8);
    b.jitter = disorder::get32(p + 12);
    b.last_sr = disorder::get32(p + 16);
    b.delay_since_last_sr = disorder::get32(p + 20);
  }
  const disorder::SyncReport report = report_from(data.data());
  const bool with_report = data[1] & 1;
  const std::string_view cname(reinterpret_cast<const char*>(data.data() + 28), data.size() - 28);
  std::array<std::uint8_t, 2048> out;
  try {
    const std::size_t n = disorder::encode_rtcp_receiver_report(
        ssrc, blocks, cname, with_report ? &report : nullptr, out);
    require(n == disorder::rtcp_receiver_report_size(count, cname.size(), with_report));
    require(n % 4 == 0);
    const auto back = disorder::decode_rtcp_compound(std::span(out).first(n));
    require(back && !back->sender && back->reporter_ssrc == ssrc && back->block_count == count);
    for (std::size_t i = 0; i < count; ++i)
      require(back->blocks[i] == blocks[i]);
    require(back->cname == cname && back->cname_ssrc == ssrc && !back->timeline);
    require(with_report ? back->sync_report == report : !back->sync_report);
  } catch (const disorder::Error&) {
    require(cname.empty() || cname.size() > disorder::kSdesItemMax);
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
    require(!back->timeline && !bye->timeline && !back->sync_report);

    const disorder::SyncTimeline t = timeline_from(data.data() + 4);
    const std::size_t k = disorder::encode_rtcp_sender_report(s, cname, t, out);
    require(k == n + disorder::kSyncTimelineSize);
    const auto timed = disorder::decode_rtcp_compound(std::span(out).first(k));
    require(timed && timed->sender == s && timed->timeline == t && !timed->bye);
    const std::size_t j = disorder::encode_rtcp_bye(s, cname, t, out);
    require(j == m + disorder::kSyncTimelineSize);
    const auto timed_bye = disorder::decode_rtcp_compound(std::span(out).first(j));
    require(timed_bye && timed_bye->bye && timed_bye->timeline == t);
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

void check_estimator(std::span<const std::uint8_t> data) {
  disorder::ClockEstimator est({.window = 8, .best = 0.5, .min_samples = 2, .step_run = 2});
  for (std::size_t i = 0; i + 32 <= data.size(); i += 32) {
    disorder::ClockEstimator::Exchange e;
    e.t1 = static_cast<std::int64_t>(disorder::get64(data.data() + i));
    e.t2 = static_cast<std::int64_t>(disorder::get64(data.data() + i + 8));
    e.t3 = static_cast<std::int64_t>(disorder::get64(data.data() + i + 16));
    e.t4 = static_cast<std::int64_t>(disorder::get64(data.data() + i + 24));
    est.add(e);
    require(est.samples() <= 8);
    if (est.valid()) {
      (void)est.to_remote(e.t4);
      (void)est.to_local(e.t3);
      (void)est.to_remote(e.t2);
      (void)est.to_local(e.t1);
      (void)est.offset_ns(e.t4);
      (void)est.drift_ppm();
      require(est.uncertainty_ns() >= 0);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  check_decoded(input);
  check_round_trip(input);
  check_receiver_round_trip(input);
  check_estimator(input);
  return 0;
}
