// The sender's table of listeners' reports.
#include "listener_report_table.hpp"

#include <algorithm>
#include <cstdio>

namespace disorder {

namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

} // namespace

std::string printable_cname(std::string_view cname) {
  if (cname.empty()) return "-";
  std::string out(cname);
  for (char& c : out)
    if (c <= 0x20 || c >= 0x7f) c = '?';
  return out;
}

std::vector<std::string> listener_figures(const RtcpReportBlock& block, double loss_percent,
                                          std::uint32_t units_per_second,
                                          const SyncReport* report) {
  std::vector<std::string> f;
  const bool synchronised = report && (report->flags & SyncReport::kSynchronised);
  f.insert(f.end(), {"synchronised", synchronised ? "yes" : "no"});
  f.insert(f.end(), {"loss", fixed(std::clamp(loss_percent, 0.0, 100.0), 2)});
  if (units_per_second)
    f.insert(f.end(), {"jitter", fixed(block.jitter * 1000.0 / units_per_second, 3)});
  if (report) {
    f.insert(f.end(), {"error", fixed(report->playout_error_ns / 1e6, 3)});
    f.insert(f.end(), {"uncertainty", fixed(report->clock_uncertainty_ns / 1e6, 3)});
    f.insert(f.end(), {"drift", fixed(report->drift_ppb / 1e3, 3)});
    f.insert(f.end(), {"buffer", fixed(report->buffer_us / 1e3, 1)});
    f.insert(f.end(), {"latency", fixed(report->latency_us / 1e3, 1)});
    f.insert(f.end(), {"concealed", std::to_string(report->concealed_frames)});
    f.insert(f.end(), {"output-delay", fixed(report->output_delay_us / 1e3, 1)});
  }
  return f;
}

bool ListenerReportTable::note(std::string_view address, const RtcpCompound& compound,
                               std::uint32_t ssrc, std::uint32_t units_per_second,
                               std::int64_t now_ns) {
  if (compound.sender || !compound.cname) return false;
  const RtcpReportBlock* block = nullptr;
  for (std::size_t i = 0; i < compound.block_count && !block; ++i)
    if (compound.blocks[i].ssrc == ssrc) block = &compound.blocks[i];
  if (!block) return false;
  const std::string cname = printable_cname(*compound.cname);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.address == address && e.cname == cname; });
  if (it == entries_.end()) {
    if (entries_.size() == kMaxListeners)
      entries_.erase(
          std::min_element(entries_.begin(), entries_.end(),
                           [](const Entry& a, const Entry& b) { return a.heard_ns < b.heard_ns; }));
    Entry e;
    e.address = address;
    e.cname = cname;
    e.first_lost = block->cumulative_lost;
    e.first_highest = block->highest_sequence;
    entries_.push_back(std::move(e));
    it = entries_.end() - 1;
  }
  Entry& e = *it;
  // The loss since the first report (its own figure, the fraction lost
  // since the listener's previous report, until more have come); a
  // listener that started again (its highest sequence went back) starts
  // the count again.
  const auto expected = static_cast<std::int64_t>(block->highest_sequence) -
                        static_cast<std::int64_t>(e.first_highest);
  if (expected < 0) {
    e.first_lost = block->cumulative_lost;
    e.first_highest = block->highest_sequence;
  }
  const double loss =
      expected > 0
          ? 100.0 * (static_cast<std::int64_t>(block->cumulative_lost) - e.first_lost) / expected
          : 100.0 * block->fraction_lost / 256.0;
  e.report = {e.address, e.cname};
  const std::vector<std::string> figures = listener_figures(
      *block, loss, units_per_second, compound.sync_report ? &*compound.sync_report : nullptr);
  e.report.insert(e.report.end(), figures.begin(), figures.end());
  e.heard_ns = now_ns;
  e.pending = true;
  return true;
}

void ListenerReportTable::take_due(std::int64_t now_ns, std::vector<ListenerReport>& out) {
  for (Entry& e : entries_) {
    if (!e.pending || (e.sent_ns && now_ns - *e.sent_ns < kMinIntervalNs)) continue;
    out.push_back(e.report);
    e.pending = false;
    e.sent_ns = now_ns;
  }
}

std::optional<std::int64_t> ListenerReportTable::next_due_ns() const {
  std::optional<std::int64_t> next;
  for (const Entry& e : entries_) {
    if (!e.pending) continue;
    const std::int64_t due = e.sent_ns ? *e.sent_ns + kMinIntervalNs : e.heard_ns;
    if (!next || due < *next) next = due;
  }
  return next;
}

} // namespace disorder
