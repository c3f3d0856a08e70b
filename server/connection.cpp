// Reading, dispatching and replying on one client connection.
#include "connection.hpp"

#include "commands/command_table.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "protocol.hpp"
#include "server.hpp"
#include "split.hpp"
#include "unicode.hpp"
#include "users/user_store.hpp"
#include "utf8.hpp"

#include <event2/buffer.h>
#include <sys/socket.h>

namespace disorder {

namespace {
// Before login a client may send only short lines (a `user` or `cookie`
// command is well under a kilobyte) and no command bodies, and may leave
// only this much of our output unread before we stop reading from it: an
// unauthenticated connection costs the server a few kilobytes at most.
constexpr size_t kLoginLine = 4096;
constexpr size_t kLoginOutputPause = 16 * 1024;
// After login: the longest command line, the largest command body (a
// playlist).
constexpr size_t kMaxLine = max_line_length;
constexpr size_t kMaxBody = 16 << 20;
// Stop reading a client's commands while this much of its output is queued
// (it pipelines faster than it reads replies).
constexpr size_t kOutputPause = 1 << 20;
// A `log` reader this far behind is disconnected rather than buffered.
constexpr size_t kLogBacklog = 4 << 20;
// How long a connection that is being closed has to take its last reply.
constexpr std::chrono::seconds kClosingGrace{5};
// How long penalise() holds a connection back: the first time, and at most.
constexpr std::chrono::milliseconds kFirstPenalty{100};
constexpr std::chrono::milliseconds kLongestPenalty{2000};
} // namespace

Connection::Connection(Server& server, Fd fd, Transport transport, std::string peer)
    : server_(server), io_(server.loop(), std::move(fd)), transport_(transport),
      peer_(std::move(peer)), challenge_(random_nonce(16)) {
  io_.set_callbacks([this] { on_read(); }, [this] { on_drained(); }, [this] { shut(); });
  // Until it logs in, served when logged-in clients are not waiting.
  io_.set_priority(Priority::background);
  if (transport_ == Transport::tcp) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      peer_address_ = ip_address_of(reinterpret_cast<const sockaddr*>(&ss));
  }
  deadline_ = Event::timer(server_.loop(), [this](short) { deadline_passed(); });
  set_deadline(server_.config().login_timeout);
  reply(231, "2 " + server_.config().authorization_algorithm + " " + to_hex(challenge_));
}

Connection::~Connection() {
  if (logging_) server_.events().unsubscribe(this);
}

void Connection::reply(int code, std::string_view text) {
  std::string line = std::to_string(code);
  line += ' ';
  append_one_line(line, text);
  line += '\n';
  io_.write(line);
}

void Connection::append_one_line(std::string& out, std::string_view text) {
  // Handlers quote what they echo (echo()); this is the guarantee that no
  // argument can ever end a reply early and forge the next one.
  if (text.find_first_of("\r\n") == std::string_view::npos)
    out += text;
  else
    out += one_line(text, SIZE_MAX);
}

void Connection::reply_body(int code, std::string_view text,
                            const std::vector<std::string>& lines) {
  std::string out = std::to_string(code);
  out += ' ';
  append_one_line(out, text);
  out += '\n';
  out += dot_stuff(lines);
  io_.write(out);
}

void Connection::login(const std::string& user, Rights rights) {
  user_ = user;
  rights_ = rights;
  if (!demoted_) io_.set_priority(Priority::clients);
  clear_deadline(); // the login deadline; command deadlines from now on
}

void Connection::penalise() {
  demoted_ = true;
  io_.set_priority(Priority::background);
  penalty_ = std::min(penalty_.count() ? penalty_ * 2 : kFirstPenalty, kLongestPenalty);
  held_back_ = true;
  io_.enable_reading(false);
  if (!release_)
    release_ = Event::timer(server_.loop(), [this](short) {
      held_back_ = false;
      if (closed_ || closing_ || deferred_ || paused_) return; // they resume reading themselves
      io_.enable_reading(true);
      on_read(); // what arrived meanwhile is already buffered
    });
  release_->add(penalty_);
}

void Connection::set_deadline(std::chrono::seconds after) {
  deadline_->add(after);
  deadline_armed_ = true;
}

void Connection::clear_deadline() {
  if (!deadline_armed_) return;
  deadline_->remove();
  deadline_armed_ = false;
}

void Connection::deadline_passed() {
  deadline_armed_ = false;
  if (closed_) return;
  // The reply is written if the socket takes it; the connection goes
  // either way, since a client that stalls may not read either.
  if (closing_) {
    log_debug("closing " + peer_ + ": it does not take its last reply");
  } else if (!authenticated()) {
    reply(530, "authentication timed out");
    log_debug("dropping " + peer_ + ": no login within login_timeout");
  } else {
    reply(500, "command incomplete after " +
                   std::to_string(server_.config().command_timeout.count()) + " seconds");
    log_info("dropping " + peer_ + " (user " + *user_ +
             "): a command did not arrive whole within command_timeout");
  }
  shut();
}

void Connection::after_input() {
  if (closed_) return;
  // Account what this connection holds against the budget of all of them.
  const size_t pending = logging_ ? 0 : evbuffer_get_length(io_.input());
  const size_t held = pending + (body_spec_ ? body_bytes_ : 0);
  if (held > held_ && !server_.input_budget().take(held - held_)) {
    log_warning("dropping " + peer_ + ": the input buffered from all clients is at its limit");
    reply(500, "server busy: too much input waiting from all clients, try again later");
    shut();
    return;
  }
  if (held < held_) server_.input_budget().give_back(held_ - held);
  held_ = held;
  peak_held_ = std::max(peak_held_, held);
  // A command that has started to arrive must be complete within
  // command_timeout (before login, the login deadline covers everything).
  // Counted from its first byte, so a byte now and then does not keep it
  // open; paused and deferred connections wait on us, not on the client.
  if (!authenticated() || closing_) return;
  const bool incomplete = !logging_ && !paused_ && !deferred_ && (pending > 0 || body_spec_);
  if (!incomplete)
    clear_deadline();
  else if (!deadline_armed_ || completed_command_)
    set_deadline(server_.config().command_timeout);
  completed_command_ = false;
}

void Connection::start_log(const std::vector<std::string>& initial_lines) {
  reply(254, "OK");
  std::string out;
  for (const auto& l : initial_lines)
    out += l;
  io_.write(out);
  logging_ = true;
  server_.events().subscribe(this);
  evbuffer_drain(io_.input(), evbuffer_get_length(io_.input()));
}

void Connection::begin_deferred_reply() {
  deferred_ = true;
  io_.enable_reading(false);
}

void Connection::finish_deferred_reply(int code, std::string_view text) {
  if (closed_ || !deferred_) return;
  reply(code, text);
  deferred_ = false;
  if (!closing_ && !held_back_) {
    io_.enable_reading(true);
    // Commands that arrived meanwhile are already buffered.  Called from
    // outside this connection's own callbacks, so it is safe to go on.
    on_read();
  }
}

void Connection::close_after_reply() {
  closing_ = true;
  io_.enable_reading(false);
  if (io_.pending_output() == 0) {
    shut();
    return;
  }
  set_deadline(kClosingGrace);
}

bool Connection::may_receive(Audience audience) const {
  if (audience == Audience::everyone) return true;
  return (rights_ & right::admin) && (is_local() || server_.config().remote_userman);
}

bool Connection::is_user(std::string_view user) const {
  return authenticated() && *user_ == user;
}

void Connection::deliver(const std::string& line) {
  if (closed_) return;
  if (io_.pending_output() > kLogBacklog) {
    log_info("dropping event log reader " + peer_ + ": it is not reading");
    shut();
    return;
  }
  io_.write(line);
}

void Connection::on_read() {
  handle_input();
  after_input();
}

void Connection::handle_input() {
  evbuffer* in = io_.input();
  if (logging_) {
    // disorder_protocol(5): input after `log` is discarded explicitly.
    evbuffer_drain(in, evbuffer_get_length(in));
    return;
  }
  while (true) {
    // Replies to everything read in this turn go out together.
    io_.cork();
    dispatch_buffered_lines();
    io_.uncork();
    if (closed_ || io_.pending_output() != 0) return; // on_drained() carries on
    if (closing_) {
      shut();
      return;
    }
    if (!paused_ || deferred_ || held_back_) return;
    // The replies that made us pause have gone: go on with the commands
    // already buffered.
    paused_ = false;
    io_.enable_reading(true);
  }
}

void Connection::dispatch_buffered_lines() {
  evbuffer* in = io_.input();
  while (!closing_ && !closed_ && !deferred_ && !logging_ && !held_back_) {
    // Checked for each line: a login in this batch lifts the limits.
    const bool logged_in = authenticated();
    if (io_.pending_output() > (logged_in ? kOutputPause : kLoginOutputPause)) {
      paused_ = true;
      io_.enable_reading(false);
      return;
    }
    const size_t max_line = logged_in ? kMaxLine : kLoginLine;
    evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, nullptr, EVBUFFER_EOL_LF);
    if (eol.pos < 0 ? evbuffer_get_length(in) > max_line
                    : static_cast<size_t>(eol.pos) > max_line) {
      reply(500, logged_in ? "line too long" : "line too long (before login, lines are short)");
      close_after_reply();
      return;
    }
    if (eol.pos < 0) return;
    line_.resize(static_cast<size_t>(eol.pos));
    evbuffer_remove(in, line_.data(), line_.size());
    evbuffer_drain(in, 1);
    if (body_spec_)
      body_line(line_);
    else
      dispatch(line_);
  }
}

void Connection::on_drained() {
  if (closing_) {
    shut();
    return;
  }
  if (paused_ && !deferred_) {
    paused_ = false;
    if (held_back_) return; // released by its timer
    io_.enable_reading(true);
    on_read();
  }
}

void Connection::shut() {
  if (closed_) return;
  closed_ = true;
  clear_deadline();
  server_.input_budget().give_back(held_);
  held_ = 0;
  if (logging_) {
    server_.events().unsubscribe(this);
    logging_ = false;
  }
  io_.enable_reading(false);
  server_.connection_closed(this);
}

void Connection::dispatch(const std::string& line) {
  if (!valid_utf8(line)) {
    reply(500, "command is not valid UTF-8");
    return;
  }
  std::vector<std::string> args;
  try {
    args = split_fields(line);
  } catch (const SyntaxError& e) {
    reply(500, std::string("malformed command: ") + e.what());
    return;
  }
  if (args.empty()) {
    reply(500, "do what?");
    return;
  }
  const CommandSpec* spec = find_command(args[0]);
  if (!spec) {
    reply(500, "unknown command " + echo(args[0]));
    return;
  }
  if (spec->takes_body) {
    if (!authenticated()) {
      // The body cannot be skipped safely (and must not be buffered for a
      // stranger): refuse and close.
      reply(530, "not authenticated");
      close_after_reply();
      return;
    }
    body_spec_ = spec;
    body_args_ = std::move(args);
    body_bytes_ = 0;
    body_valid_ = true;
    return;
  }
  execute(*spec, args, {});
}

void Connection::body_line(const std::string& line) {
  body_bytes_ += line.size() + 1;
  if (body_bytes_ > kMaxBody) {
    reply(500, "command body too long");
    close_after_reply();
    return;
  }
  body_valid_ = body_valid_ && valid_utf8(line);
  if (!body_.add_line(line)) return;
  const CommandSpec* spec = body_spec_;
  body_spec_ = nullptr;
  const std::vector<std::string> args = std::move(body_args_);
  const std::vector<std::string> body = body_.take_lines();
  if (!body_valid_) {
    reply(500, "command body is not valid UTF-8");
    return;
  }
  execute(*spec, args, body);
}

void Connection::execute(const CommandSpec& command, const std::vector<std::string>& args,
                         std::span<const std::string> body) {
  const CommandSpec* spec = &command;
  if (spec->needs_auth && !authenticated()) {
    reply(530, "not authenticated");
    return;
  }
  const int argc = static_cast<int>(args.size()) - 1;
  if (argc < spec->min_args) {
    reply(500, "missing argument(s)");
    return;
  }
  if (spec->max_args != kUnlimited && argc > spec->max_args) {
    reply(500, "too many arguments");
    return;
  }
  if (spec->rights != right::none && !(rights_ & spec->rights)) {
    reply(510, prohibited(spec->rights));
    return;
  }
  completed_command_ = true;
  CommandContext ctx{server_, *this, body};
  try {
    spec->handler(ctx, args);
  } catch (const UserError& e) {
    reply(550, e.what());
  } catch (const std::exception& e) {
    log_error(std::string(spec->name) + " from " + peer_ + ": " + e.what());
    reply(550, std::string("error: ") + e.what());
  }
}

} // namespace disorder
