// Formatting the monitor line.
#include "monitor.hpp"

#include <cstdio>

namespace disorder::playrtp {

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
      "output=%s",
      s.streaming ? (p.playing ? "playing" : "waiting") : "idle",
      s.streaming
          ? (s.format.to_string() + (s.unit == TimestampUnit::samples ? "/samples" : "/frames"))
                .c_str()
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
      s.output_unavailable ? "unavailable" : "ok");
  return text;
}

} // namespace disorder::playrtp
