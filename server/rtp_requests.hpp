// rtp_mode request: the unicast RTP streams that client connections asked
// for (rtp-request), at most one per connection.  Each is handed to the
// speaker as a standing rtp-add (SpeakerLink::set_standing), so that a
// restarted speaker gets it again; it ends with rtp-cancel or when its
// connection closes (Server::connection_closed).
//
// Loop thread only.  Connections are only compared by address, never
// used, so a closed one may be named safely.
#pragma once

#include "rtp_destination.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace disorder {

class Connection;
class Playback;

class RtpRequests {
public:
  explicit RtpRequests(Playback& playback) : playback_(playback) {}
  RtpRequests(const RtpRequests&) = delete;
  RtpRequests& operator=(const RtpRequests&) = delete;

  // Starts (or moves) conn's stream to destination, which the caller has
  // checked (check_rtp_destination), with the listener's options.  Throws
  // UserError when kMaxRtpListeners streams are already going.
  void request(const Connection* conn, const RtpDestination& destination,
               const RtpListenerOptions& options);
  // Stops conn's stream; false if it had none.
  bool cancel(const Connection* conn);
  // conn is closing: its stream (if any) stops.
  void connection_gone(const Connection* conn) { cancel(conn); }
  std::size_t size() const { return keys_.size(); }

private:
  Playback& playback_;
  // The speaker's key for each connection's stream.
  std::map<const Connection*, std::string> keys_;
  std::uint64_t next_key_ = 1;
};

} // namespace disorder
