// What the sender keeps of its listeners' RTCP receiver reports (and the
// SyncReport APP packet that disorder-playrtp adds to them): one entry per
// listener (source address and CNAME), at most kMaxListeners (the one heard
// from longest ago makes room), each turned into the figures of a
// `listener` speaker message (speaker_protocol.hpp) and handed on at most
// once per kMinIntervalNs, the latest one winning.
//
// Pure and single-threaded (the time service thread owns it): no clock,
// no socket; the caller passes the time.
#pragma once

#include "listener_report_queue.hpp"
#include "rtcp.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

class ListenerReportTable {
public:
  static constexpr std::size_t kMaxListeners = 64;
  static constexpr std::int64_t kMinIntervalNs = 1'000'000'000;

  // A decoded compound packet from `address` ("1.2.3.4:5006").  Kept only
  // if it is a receiver report (not an SR) with a CNAME and a report block
  // about `ssrc` (our stream); returns whether it was.  units_per_second:
  // the listener's RTP timestamp units per second (the rate, times the
  // channels if its timestamps count samples), for the jitter in ms.
  bool note(std::string_view address, const RtcpCompound& compound, std::uint32_t ssrc,
            std::uint32_t units_per_second, std::int64_t now_ns);
  // Appends the reports due at now_ns (not yet handed on, and the last one
  // for the same listener at least kMinIntervalNs ago) to out.
  void take_due(std::int64_t now_ns, std::vector<ListenerReport>& out);
  // When take_due() would next have something; nullopt if nothing waits.
  std::optional<std::int64_t> next_due_ns() const;
  std::size_t size() const { return entries_.size(); }

private:
  struct Entry {
    std::string address, cname;
    std::int64_t heard_ns = 0;           // the latest report
    std::optional<std::int64_t> sent_ns; // the latest hand-on
    bool pending = false;                // report holds one not handed on yet
    // The first report's cumulative loss and highest sequence: the loss
    // is counted from there.
    std::int32_t first_lost = 0;
    std::uint32_t first_highest = 0;
    ListenerReport report;
  };
  std::vector<Entry> entries_;
};

// The figures of one report, as `listener` message fields after ADDRESS
// and CNAME: synchronised, loss (%), jitter (ms), and with a SyncReport
// error, uncertainty, drift, buffer, latency, concealed, output-delay.
// loss_percent is computed by the caller.
std::vector<std::string> listener_figures(const RtcpReportBlock& block, double loss_percent,
                                          std::uint32_t units_per_second, const SyncReport* report);

// A CNAME from the network, made safe to show: printable ASCII, anything
// else replaced by '?'; empty becomes "-".
std::string printable_cname(std::string_view cname);

} // namespace disorder
