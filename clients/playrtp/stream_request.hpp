// disorder-playrtp's conversations with the server (disorder_protocol(5)):
// where the broadcast is (rtp-address, no login needed) and what it
// carries (rtp-sdp: whether its dynamic payload type is Opus), and, when the
// server sends only on request, asking for a unicast stream of our own
// (rtp-request ADDRESS PORT, logged in).  The server sends that stream
// for as long as the requesting connection stays open, so StreamRequest
// keeps it open, checks it now and then with nop, asks again over a new
// connection when it breaks (a server restart), and cancels (rtp-cancel)
// when it goes away.
//
// Threads: StreamRequest runs its own thread after start(); the other
// functions block on the caller's.
#pragma once

#include "client.hpp"
#include "config.hpp"
#include "payload_format.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace disorder::playrtp {

// The broadcast address and port, or nullopt when the server answers
// "- -" (it streams only on request).  Throws CommandError when it is not
// broadcasting at all, SystemError/ProtocolError when it cannot be asked.
std::optional<std::pair<std::string, std::string>> ask_rtp_address(const Config& config);

// What the broadcast's dynamic payload type carries, from the server's
// SDP (rtp-sdp); nullopt when the server does not say (no rtp-sdp, as
// DisOrder's, an error, or a static payload type).  Never throws but
// bad_alloc: without it the stream is still played as --format says.
std::optional<SdpPayload> ask_rtp_sdp(const Config& config);

// The address of ours that the server would see us at: with `connect`
// configured, the source address towards that host; for a server on this
// host (UNIX socket), loopback.  family AF_UNSPEC lets the server's
// address decide.
std::string local_address_towards_server(const Config& config, int family);

class StreamRequest {
public:
  static constexpr std::chrono::seconds kCheckInterval{20};
  static constexpr std::chrono::seconds kRetryInterval{5};

  // host and port: where we receive, as the server should send.
  // rtcp: ask for RTCP sender reports too (the caller holds port+1).
  // opus: ask for the Opus stream rather than L16.
  StreamRequest(Config config, std::string host, std::string port, bool rtcp, bool opus = false);
  StreamRequest(const StreamRequest&) = delete;
  StreamRequest& operator=(const StreamRequest&) = delete;
  ~StreamRequest(); // cancels the stream and joins the thread

  // The first request, here and now: throws what Client throws if the
  // server cannot be reached or refuses (CommandError).  Then the thread.
  void start();

private:
  void request();
  void run();

  const Config config_;
  const std::string host_, port_;
  const bool rtcp_;
  const bool opus_;
  std::optional<Client> client_; // the thread's, after start()
  std::mutex mutex_;
  std::condition_variable wake_;
  bool quit_ = false; // mutex_
  std::thread thread_;
};

} // namespace disorder::playrtp
