// The latest report of each RTP listener, as the speaker passes them on
// (`listener` messages, speaker_protocol.hpp), for the rtp-listeners
// command: one per listener (source address and CNAME), at most
// kMaxListeners (the one heard from longest ago makes room), each
// forgotten kForgetAfter after its last report.  The figures are kept as
// the speaker wrote them.
//
// Loop thread only.  The caller passes the time, so that this is pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace disorder {

class RtpListenerReports {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxListeners = 64;
  static constexpr std::chrono::seconds kForgetAfter{30};
  // Limits on what one report may hold (the speaker's are smaller).
  static constexpr std::size_t kMaxPairs = 32;
  static constexpr std::size_t kMaxFieldBytes = 300;

  // fields: ADDRESS CNAME KEY VALUE [KEY VALUE...].  False (and nothing
  // kept) for anything else.
  bool update(std::span<const std::string> fields, Clock::time_point now);
  // One line of fields per listener, by address then CNAME:
  // ADDRESS CNAME KEY VALUE... age SECONDS.  Forgets the silent ones.
  std::vector<std::vector<std::string>> list(Clock::time_point now);
  std::size_t size() const { return reports_.size(); }

private:
  struct Report {
    std::string address, cname;
    std::vector<std::pair<std::string, std::string>> figures;
    Clock::time_point when;
  };
  void forget_silent(Clock::time_point now);
  std::vector<Report> reports_;
};

} // namespace disorder
