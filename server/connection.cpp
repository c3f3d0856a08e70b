// Reading, dispatching and replying on one client connection.
#include "connection.hpp"

#include "commands/command_table.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "protocol.hpp"
#include "server.hpp"
#include "split.hpp"
#include "users/user_store.hpp"
#include "utf8.hpp"

#include <event2/buffer.h>

namespace disorder {

namespace {
// A command line longer than this is refused and the connection closed.
constexpr size_t kMaxLine = 1 << 20;
// A command body (a playlist) up to this many bytes.
constexpr size_t kMaxBody = 16 << 20;
// Stop reading a client's commands while this much of its output is queued
// (it pipelines faster than it reads replies).
constexpr size_t kOutputPause = 1 << 20;
// A `log` reader this far behind is disconnected rather than buffered.
constexpr size_t kLogBacklog = 4 << 20;
} // namespace

Connection::Connection(Server& server, Fd fd, Transport transport, std::string peer)
    : server_(server), io_(server.loop(), std::move(fd)), transport_(transport),
      peer_(std::move(peer)), challenge_(random_nonce(16)) {
  io_.set_callbacks([this] { on_read(); }, [this] { on_drained(); }, [this] { shut(); });
  reply(231, "2 " + server_.config().authorization_algorithm + " " + to_hex(challenge_));
}

Connection::~Connection() {
  if (logging_) server_.events().unsubscribe(this);
}

void Connection::reply(int code, std::string_view text) {
  std::string line = std::to_string(code);
  line += ' ';
  line += text;
  line += '\n';
  io_.write(line);
}

void Connection::reply_body(int code, std::string_view text,
                            const std::vector<std::string>& lines) {
  std::string out = std::to_string(code);
  out += ' ';
  out += text;
  out += '\n';
  out += dot_stuff(lines);
  io_.write(out);
}

void Connection::login(const std::string& user, Rights rights) {
  user_ = user;
  rights_ = rights;
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
  if (!closing_) {
    io_.enable_reading(true);
    // Commands that arrived meanwhile are already buffered.  Called from
    // outside this connection's own callbacks, so it is safe to go on.
    on_read();
  }
}

void Connection::close_after_reply() {
  closing_ = true;
  io_.enable_reading(false);
  if (io_.pending_output() == 0) shut();
}

bool Connection::may_receive(Audience audience) const {
  if (audience == Audience::everyone) return true;
  return (rights_ & right::admin) && (is_local() || server_.config().remote_userman);
}

bool Connection::is_user_or_admin(std::string_view user) const {
  return authenticated() && (*user_ == user || (rights_ & right::admin));
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
    if (!paused_ || deferred_) return;
    // The replies that made us pause have gone: go on with the commands
    // already buffered.
    paused_ = false;
    io_.enable_reading(true);
  }
}

void Connection::dispatch_buffered_lines() {
  evbuffer* in = io_.input();
  while (!closing_ && !closed_ && !deferred_ && !logging_) {
    if (io_.pending_output() > kOutputPause) {
      paused_ = true;
      io_.enable_reading(false);
      return;
    }
    evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, nullptr, EVBUFFER_EOL_LF);
    if (eol.pos < 0) {
      if (evbuffer_get_length(in) > kMaxLine) {
        reply(500, "line too long");
        close_after_reply();
      }
      return;
    }
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
    io_.enable_reading(true);
    on_read();
  }
}

void Connection::shut() {
  if (closed_) return;
  closed_ = true;
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
    reply(500, "unknown command '" + args[0] + "'");
    return;
  }
  if (spec->takes_body) {
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
    reply(510, "Prohibited");
    return;
  }
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
