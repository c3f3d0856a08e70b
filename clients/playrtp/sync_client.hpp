// disorder-playrtp's side of synchronised playout on the loop thread
// (disorder_protocol(5), "Synchronised playout"): it reads the RTCP that
// arrives on port+1, takes the sender reports that carry a SyncTimeline
// from the source being followed, exchanges timestamps with the address
// those reports come from (ClockExchange), and publishes the resulting
// schedule to the Player (SyncAnchor) whenever a report or an answer
// changes it.  Every kReportIntervalNs, and soon after it first plays in
// step, it sends the sender a receiver report: an RR about the sender's
// SSRC, our CNAME and a SyncReport with our figures.
//
// Requests and reports leave from the RTCP socket when it can send (a
// unicast or wildcard address), else -- a socket bound to a multicast
// group cannot -- from a socket of its own, opened for the sender's address
// family; answers come back to the socket the request left from, and are
// believed only from where it went.
//
// Threads: the loop thread only; it talks to the audio thread through
// Player's locked calls.  Throws SystemError from the constructor only.
#pragma once

#include "clock_exchange.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "player.hpp"
#include "rtcp.hpp"
#include "sync_schedule.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace disorder::playrtp {

class SyncClient {
public:
  static constexpr std::int64_t kReportIntervalNs = 2'000'000'000;
  static constexpr std::int64_t kFirstReportNs = 200'000'000;

  struct Settings {
    bool enabled = true;             // false: --no-sync (reports still go)
    std::int64_t trim_ns = 0;        // --trim
    std::int64_t own_latency_ns = 0; // what this listener needs (--min, its output)
    std::int64_t output_delay_ns = 0;
    std::int64_t max_buffer_ns = 0; // --max: what the jitter buffer holds before it stops reading
    std::string cname;              // user@host
  };

  // rtcp: the socket on port+1 (non-blocking); can_send: it may send too
  // (not bound to a multicast group).  Neither is owned.
  SyncClient(EventLoop& loop, Player& player, int rtcp, bool can_send, const Settings& settings);
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;
  ~SyncClient();

  struct Status {
    bool timeline = false; // the followed sender states one
    bool clock_valid = false;
    double offset_ms = 0; // the sender's clock minus ours
    double uncertainty_ms = 0;
    double drift_ppm = 0; // the sender's clock against ours
    bool latency_unmet = false;
    double shared_latency_ms = 0;
    std::uint64_t reports_sent = 0;
  };
  Status status() const;

private:
  struct LastSr {
    std::uint32_t ssrc = 0;
    std::uint32_t rtp_timestamp = 0;
    SyncTimeline timeline;
    std::uint32_t ntp_middle = 0; // for LSR
    std::int64_t received_ns = 0; // for DLSR
    sockaddr_storage from{};      // where it came from
    socklen_t from_length = 0;
  };

  void readable(int fd);
  void sender_report(const RtcpCompound& c, const sockaddr_storage& from, socklen_t from_length,
                     std::int64_t now_ns);
  // Picks the report to follow -- the followed source's, or before there
  // is one the newest -- and if it comes from another address than
  // before, starts learning that sender's clock; then publish().
  void choose();
  void publish();
  void send_request();
  void send_report();
  int send_socket();
  void arm_request_timer();

  EventLoop& loop_;
  Player& player_;
  const int rtcp_;
  const bool can_send_;
  Settings settings_;
  std::uint32_t ssrc_; // ours, in our reports
  ClockExchange exchange_;
  // The latest report of each of the last two sources (a stream and its
  // successor, which the player may not follow yet), and the one followed.
  std::array<std::optional<LastSr>, 2> reports_;
  std::optional<LastSr> sr_;
  sockaddr_storage sender_{}; // where the SRs come from
  socklen_t sender_length_ = 0;
  bool have_sender_ = false;
  bool synchronised_ = false; // published an anchor
  bool logged_unmet_ = false, logged_buffer_ = false;
  LatencyChoice latency_;
  std::uint64_t reports_sent_ = 0;
  Fd own_socket_; // when rtcp_ cannot send
  int own_family_ = AF_UNSPEC;
  std::unique_ptr<Event> rtcp_event_, own_event_, request_timer_, report_timer_;
};

// user@host, for our CNAME.
std::string local_cname();

} // namespace disorder::playrtp
