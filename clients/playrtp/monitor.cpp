// Formatting the monitor line.
#include "monitor.hpp"

#include "opus_stage.hpp"

#include <algorithm>
#include <cstdio>

namespace disorder::playrtp {

std::string stream_format(const Player::Snapshot& s) {
  // Opus is decoded to 16-bit samples, whatever it was made from.
  if (s.opus)
    return "opus/" + std::to_string(s.format.rate) + "/" + std::to_string(s.format.channels);
  return s.format.to_string();
}

std::string monitor_line(const Player::Snapshot& s, std::size_t latency_frames) {
  const JitterStats& b = s.buffer;
  const PlayoutStats& p = s.playout;
  char text[1024];
  const double latency_ms = s.synchronised        ? p.latency_ms
                            : latency_frames == 0 ? Playout::kDefaultLatencyNs / 1e6
                            : s.streaming         ? latency_frames * 1e3 / s.format.rate
                                                  : latency_frames * 1e3 / 44100;
  std::snprintf(
      text, sizeof text,
      "monitor: %s %s buffered_ms=%.1f latency_ms=%.0f error_ms=%+.2f ratio_ppm=%+.1f "
      "locked=%s drift_ppm=%+.1f packets=%llu accepted=%llu concealed_frames=%llu late=%llu "
      "duplicates=%llu early=%llu held=%llu unsupported=%llu malformed=%llu not_rtp=%llu "
      "streams=%llu resyncs=%llu jumps=%llu underruns=%llu synchronised=%s output_delay_ms=%.1f "
      "output=%s fec_recovered=%llu duplicate_saved=%llu plc_concealed=%llu plc_gaps=%llu "
      "plc_gaps_over_10ms=%llu plc_longest_ms=%.1f glides=%llu",
      s.streaming ? (p.playing ? "playing" : "waiting") : "idle",
      s.streaming
          ? (stream_format(s) + (s.unit == TimestampUnit::samples ? "/samples" : "/frames")).c_str()
          : "-",
      p.buffered_ms, latency_ms, p.error_ms, (p.ratio - 1.0) * 1e6, p.locked ? "yes" : "no",
      p.drift_ppm, static_cast<unsigned long long>(b.packets),
      static_cast<unsigned long long>(b.accepted),
      static_cast<unsigned long long>(b.frames_concealed), static_cast<unsigned long long>(b.late),
      static_cast<unsigned long long>(b.duplicates), static_cast<unsigned long long>(b.early),
      static_cast<unsigned long long>(b.held), static_cast<unsigned long long>(b.unsupported),
      static_cast<unsigned long long>(b.malformed), static_cast<unsigned long long>(s.not_rtp),
      static_cast<unsigned long long>(b.streams), static_cast<unsigned long long>(b.resyncs),
      static_cast<unsigned long long>(p.jumps), static_cast<unsigned long long>(p.output_underruns),
      s.synchronised ? "yes" : "no", static_cast<double>(s.output_delay_ns) / 1e6,
      s.output_unavailable ? "unavailable" : "ok", static_cast<unsigned long long>(b.opus.fec),
      static_cast<unsigned long long>(b.saved_by_duplicate),
      static_cast<unsigned long long>(b.opus.plc), static_cast<unsigned long long>(b.opus.plc_gaps),
      static_cast<unsigned long long>(b.opus.plc_long_gaps),
      static_cast<double>(b.opus.plc_longest) * 1e3 / OpusStage::kRate,
      static_cast<unsigned long long>(p.glides));
  return text;
}

std::string loss_summary(const Player::Snapshot& s) {
  const JitterStats& b = s.buffer;
  const auto lost = std::max<std::int64_t>(0, s.reception.lost());
  if (lost == 0 && b.duplicates == 0 && b.opus.fec == 0 && b.opus.plc == 0 &&
      b.frames_concealed == 0)
    return {};
  std::string text = "packets lost on the way: " + std::to_string(lost) + "; " +
                     std::to_string(b.saved_by_duplicate) + " saved by a duplicate (" +
                     std::to_string(b.duplicates) + " copies dropped)";
  if (s.opus)
    text += "; " + std::to_string(b.opus.fec) + " recovered by FEC; " + std::to_string(b.opus.plc) +
            " concealed (PLC)";
  text += "; " + std::to_string(b.frames_concealed) + " frames concealed";
  return text;
}

} // namespace disorder::playrtp
