// One client connection to disorderd: reads command lines, dispatches them
// through the command table, writes replies, and (after `log`) streams
// events.  Owned by the Server; lives on the loop thread.
#pragma once

#include "address_prefix.hpp"
#include "event_log.hpp"
#include "event_loop.hpp"
#include "protocol.hpp"
#include "rights.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace disorder {

class Server;
struct CommandSpec;

enum class Transport {
  local,      // the public unix socket
  privileged, // home/private/socket: local administration without a password
  tcp,        // the `listen` address
};

class Connection : public EventSubscriber {
public:
  Connection(Server& server, Fd fd, Transport transport, std::string peer);
  ~Connection() override;

  // Replies.  text must not contain a newline.
  void reply(int code, std::string_view text);
  // code should end in 3; the body is dot-stuffed and terminated.
  void reply_body(int code, std::string_view text, const std::vector<std::string>& lines);

  Transport transport() const { return transport_; }
  bool is_local() const { return transport_ != Transport::tcp; }
  const std::string& peer() const { return peer_; }
  // The peer's IP address on a TCP connection; nullopt on a local socket.
  const std::optional<IpAddress>& peer_address() const { return peer_address_; }
  const std::string& challenge() const { return challenge_; }
  bool authenticated() const { return user_.has_value(); }
  const std::string& user() const { return *user_; }
  Rights rights() const { return rights_; }
  void login(const std::string& user, Rights rights);
  void set_rights(Rights rights) { rights_ = rights; }
  // This connection asked for work the server had to refuse as too costly
  // (a regexp over its limit).  For the rest of its life it is served only
  // when no well-behaved client is waiting, and after the reply to this
  // command it is not read for a while: 0.1 s, doubling with each refusal
  // up to 2 s.  So a client that keeps trying slows itself, not the rest.
  void penalise();
  // The cookie this login used or last made (for `revoke`).
  std::optional<std::string> cookie;

  // Switch to event-log mode: further input is discarded, events stream out.
  void start_log(const std::vector<std::string>& initial_lines);
  // For a command whose reply comes later (rescan wait): no further command
  // of this connection is read until finish_deferred_reply().
  void begin_deferred_reply();
  void finish_deferred_reply(int code, std::string_view text);
  // Close once everything queued has been written (or a few seconds have
  // passed, for a client that does not read).
  void close_after_reply();
  bool closed() const { return closed_; }
  bool is_logging() const { return logging_; }
  // The most input this connection ever held at once (partial lines and
  // command bodies).
  size_t peak_input() const { return peak_held_; }

  bool may_receive(Audience audience) const override;
  bool is_user(std::string_view user) const override;
  void deliver(const std::string& line) override;

private:
  static void append_one_line(std::string& out, std::string_view text);
  void on_read();
  void handle_input();
  // After each batch of input: budget accounting and the command deadline.
  void after_input();
  void set_deadline(std::chrono::seconds after);
  void clear_deadline();
  void deadline_passed();
  void dispatch_buffered_lines();
  void on_drained();
  void shut();
  void dispatch(const std::string& line);
  // A line of a command's body, or its end.
  void body_line(const std::string& line);
  void execute(const CommandSpec& spec, const std::vector<std::string>& args,
               std::span<const std::string> body);

  Server& server_;
  BufferedConnection io_;
  Transport transport_;
  std::string peer_;
  std::optional<IpAddress> peer_address_;
  std::string challenge_;
  std::optional<std::string> user_;
  Rights rights_ = right::none;
  std::string line_;
  // A command waiting for the end of its body.
  const CommandSpec* body_spec_ = nullptr;
  std::vector<std::string> body_args_;
  BodyDecoder body_;
  std::size_t body_bytes_ = 0;
  bool body_valid_ = true; // every line UTF-8
  bool logging_ = false;
  bool paused_ = false;
  bool deferred_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool demoted_ = false;
  // While set, no command is read or run (penalise()).
  bool held_back_ = false;
  std::chrono::milliseconds penalty_{0};
  std::unique_ptr<Event> release_;
  // The login deadline until login, then a command's (command_timeout),
  // or the grace period of close_after_reply().
  std::unique_ptr<Event> deadline_;
  bool deadline_armed_ = false;
  bool completed_command_ = false; // since the last after_input()
  size_t held_ = 0;                // taken from the server's InputBudget
  size_t peak_held_ = 0;
};

} // namespace disorder
