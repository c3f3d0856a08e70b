// Formatting and describing the status line.
#include "status.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace disorder::playrtp {

namespace {

std::string number(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

} // namespace

std::string status_line(const Player::Snapshot& s, const SyncClient::Status* sync) {
  const bool clock = sync && sync->clock_valid;
  const PlayoutStats& p = s.playout;
  std::string line;
  auto add = [&line](const char* key, const std::string& value) {
    if (!line.empty()) line += ' ';
    line += key;
    line += '=';
    line += value;
  };
  add("synchronised", s.synchronised ? "yes" : "no");
  add("offset_ms", clock ? number(sync->offset_ms, 3) : "-");
  add("uncertainty_ms", clock ? number(sync->uncertainty_ms, 3) : "-");
  add("error_ms", p.playing ? number(p.error_ms, 3) : "-");
  // The sender's clock against ours when known; else what playout
  // measured of the sender against the output.
  add("drift_ppm", number(clock ? sync->drift_ppm : p.drift_ppm, 1));
  add("buffer_ms", number(p.buffered_ms, 1));
  add("latency_ms", number(p.latency_ms, 1));
  add("output_delay_ms", number(static_cast<double>(s.output_delay_ns) / 1e6, 1));
  add("packets", std::to_string(s.reception.packets()));
  add("lost", std::to_string(std::max<std::int64_t>(0, s.reception.lost())));
  add("concealed", std::to_string(s.buffer.frames_concealed));
  add("jitter_ms", number(s.reception.jitter_s() * 1e3, 3));
  add("latency_unmet", sync && s.synchronised && sync->latency_unmet ? "yes" : "no");
  add("fec_recovered", std::to_string(s.buffer.opus.fec));
  add("duplicate_saved", std::to_string(s.buffer.saved_by_duplicate));
  add("plc_concealed", std::to_string(s.buffer.opus.plc));
  add("plc_gaps", std::to_string(s.buffer.opus.plc_gaps));
  add("plc_gaps_over_10ms", std::to_string(s.buffer.opus.plc_long_gaps));
  return line;
}

std::string describe_status(std::string_view line) {
  static const std::pair<const char*, const char*> kLabels[] = {
      {"synchronised", "On the sender's timeline"},
      {"offset_ms", "Clock offset (ms, sender minus us)"},
      {"uncertainty_ms", "Offset uncertainty (ms)"},
      {"error_ms", "Playout error (ms, positive: late)"},
      {"drift_ppm", "Drift (ppm)"},
      {"buffer_ms", "Buffered (ms)"},
      {"latency_ms", "Latency (ms)"},
      {"output_delay_ms", "Output delay (ms)"},
      {"packets", "Packets received"},
      {"lost", "Packets lost"},
      {"concealed", "Frames concealed"},
      {"jitter_ms", "Interarrival jitter (ms)"},
      {"latency_unmet", "Shared latency unmet"},
      {"fec_recovered", "Losses recovered by FEC"},
      {"duplicate_saved", "Losses saved by a duplicate"},
      {"plc_concealed", "Losses concealed (PLC)"},
      {"plc_gaps", "Gaps concealed (PLC)"},
      {"plc_gaps_over_10ms", "Gaps over 10 ms concealed (PLC)"},
  };
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t end = std::min(line.find(' ', i), line.size());
    const std::string_view field = line.substr(i, end - i);
    i = end + 1;
    if (field.empty()) continue;
    const std::size_t eq = field.find('=');
    const std::string key(field.substr(0, eq));
    const std::string value(eq == std::string_view::npos ? "" : field.substr(eq + 1));
    std::string label = key;
    for (const auto& [k, l] : kLabels)
      if (key == k) label = l;
    out += label + ": " + value + "\n";
  }
  return out;
}

} // namespace disorder::playrtp
