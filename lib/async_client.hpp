// The non-blocking client of disorder_protocol(5), for programs that serve
// many users from one event loop (disorder-web): commands are pipelined on
// one connection and each reply goes to its own callback, in order; the
// event log streams lines to a callback.  Runs on the loop's thread only.
#pragma once

#include "client.hpp"
#include "config.hpp"
#include "event_loop.hpp"
#include "protocol.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

class AsyncClient {
public:
  // Called with the whole reply, failures (non-2xx) included.  When the
  // connection fails first, called with code 0 and the reason as text.
  // A reply handler must not destroy the client (defer that).
  using ReplyHandler = std::function<void(Reply&)>;
  // The connection is gone (the server closed it, it broke the protocol,
  // or a reply took longer than the timeout); `why` says which.  Called
  // from the loop (never from inside another of this client's callbacks),
  // so it may destroy the client.  After this no other callback runs.
  using ClosedHandler = std::function<void(const std::string& why)>;

  // Connects to the configuration's public endpoint (TCP `connect` if set,
  // else home/socket).  Throws SystemError if the connection cannot be
  // made.  The greeting is read asynchronously; commands sent before it
  // arrives wait for it.
  static std::unique_ptr<AsyncClient> open(EventLoop& loop, const Config& config,
                                           ClosedHandler on_closed);

  AsyncClient(EventLoop& loop, Fd fd, ClosedHandler on_closed);
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;
  ~AsyncClient();

  // Challenge-response login (the response is computed when the greeting
  // has given the challenge).  The reply handler sees 230 or the refusal.
  void login(std::string user, std::string password, ReplyHandler done);
  void command(std::vector<std::string> args, ReplyHandler done);
  void command(std::vector<std::string> args, std::vector<std::string> body, ReplyHandler done);
  // Sends `log`; each event line (unstuffed, no line feed) goes to on_event.
  // After this the connection carries nothing else.
  void follow_log(std::function<void(const std::string& line)> on_event, ReplyHandler started);

  // Replaces the handler given at construction (for a connection handed
  // over to a new owner).
  void set_on_closed(ClosedHandler on_closed) { on_closed_ = std::move(on_closed); }
  // Replies still awaited.
  size_t pending() const { return pending_.size(); }
  bool usable() const { return !closed_; }
  // A reply that takes longer than this closes the connection (default 60 s).
  void set_reply_timeout(std::chrono::milliseconds t) { reply_timeout_ = t; }

private:
  struct Pending {
    ReplyHandler done;
    bool log = false;
  };
  void send_or_hold(std::function<std::string()> message, Pending p);
  void readable();
  void handle_line(std::string line);
  void fail(const std::string& why);
  void arm_timer();

  EventLoop& loop_;
  BufferedConnection conn_;
  ClosedHandler on_closed_;
  LineReader reader_;
  bool greeted_ = false;
  bool closed_ = false;
  bool in_log_ = false;
  std::string algorithm_, challenge_;
  // Messages waiting for the greeting (they may need its challenge).
  std::vector<std::function<std::string()>> held_;
  std::deque<Pending> pending_;
  std::optional<Reply> current_; // a reply whose body is being read
  BodyDecoder body_;
  std::function<void(const std::string&)> on_event_;
  std::unique_ptr<Event> timer_;
  std::chrono::milliseconds reply_timeout_{60000};
  // Set while this object is alive; callbacks check it after calling out,
  // since a handler may destroy the client.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace disorder
