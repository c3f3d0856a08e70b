// libFuzzer target for the path of a listener's report from the network to
// rtp-listeners: any bytes as one datagram at the speaker's time service
// (decode_rtcp_compound, then the ListenerReportTable, as if from many
// addresses), the reports it hands on as `listener` messages to
// disorderd's store (RtpListenerReports), and its listing.  Checked: the
// bounds (64 listeners each side), that every message has a printable
// CNAME and key-value pairs, and that nothing throws.
#include "audio/listener_report_table.hpp"
#include "rtcp.hpp"
#include "server/rtp_listener_reports.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto c = disorder::decode_rtcp_compound(std::span(data, size));
  if (!c) return 0;
  // Our SSRC: the first block's, so that a report gets in when it can.
  const std::uint32_t ssrc = c->block_count ? c->blocks[0].ssrc : 0;
  disorder::ListenerReportTable table;
  disorder::RtpListenerReports store;
  std::vector<disorder::ListenerReport> due;
  const std::uint32_t units = size % 3 == 0 ? 0 : 44100;
  for (int i = 0; i < 70; ++i) {
    const std::int64_t now = std::int64_t{i} * 400'000'000;
    table.note("10.0.0." + std::to_string(i % 67) + ":5007", *c, ssrc, units, now);
    require(table.size() <= disorder::ListenerReportTable::kMaxListeners);
    due.clear();
    table.take_due(now, due);
    for (const auto& r : due) {
      require(r.size() >= 2 && r.size() % 2 == 0);
      for (char ch : r[1])
        require(ch > 0x20 && ch < 0x7f);
      require(store.update(r, disorder::RtpListenerReports::Clock::time_point{} +
                                  std::chrono::nanoseconds(now)));
    }
  }
  require(store.size() <= disorder::RtpListenerReports::kMaxListeners);
  for (const auto& line :
       store.list(disorder::RtpListenerReports::Clock::time_point{} + std::chrono::seconds(29)))
    require(line.size() >= 4 && line.size() % 2 == 0 && line[line.size() - 2] == "age");
  return 0;
}
