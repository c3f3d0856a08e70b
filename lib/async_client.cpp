// The non-blocking protocol client (async_client.hpp): pipelined commands,
// replies matched to callbacks in order, and the event log.
#include "async_client.hpp"

#include "crypto.hpp"
#include "socket_address.hpp"
#include "split.hpp"

#include <event2/buffer.h>

namespace disorder {

namespace {

constexpr std::string_view protocol_generation = "2";

std::string command_line(const std::vector<std::string>& args) {
  return quote_fields(args) + "\n";
}

} // namespace

std::unique_ptr<AsyncClient> AsyncClient::open(EventLoop& loop, const Config& config,
                                               ClosedHandler on_closed) {
  Fd fd = config.connect ? connect_tcp(*config.connect) : connect_unix(config.socket_path());
  set_nonblocking(fd.get());
  set_cloexec(fd.get());
  return std::make_unique<AsyncClient>(loop, std::move(fd), std::move(on_closed));
}

AsyncClient::AsyncClient(EventLoop& loop, Fd fd, ClosedHandler on_closed)
    : loop_(loop), conn_(loop, std::move(fd)), on_closed_(std::move(on_closed)) {
  conn_.set_callbacks([this] { readable(); }, {},
                      [this] { fail("the server closed the connection"); });
  timer_ = Event::timer(loop_, [this](short) {
    fail("no reply from the server in " + std::to_string(reply_timeout_.count() / 1000) + " s");
  });
  // The greeting is the first reply awaited.
  arm_timer();
}

AsyncClient::~AsyncClient() {
  *alive_ = false;
}

void AsyncClient::login(std::string user, std::string password, ReplyHandler done) {
  send_or_hold(
      [this, user = std::move(user), password = std::move(password)] {
        return command_line({"user", user, auth_response(algorithm_, password, challenge_)});
      },
      Pending{std::move(done)});
}

void AsyncClient::command(std::vector<std::string> args, ReplyHandler done) {
  std::string line = command_line(args);
  send_or_hold([line = std::move(line)] { return line; }, Pending{std::move(done)});
}

void AsyncClient::command(std::vector<std::string> args, std::vector<std::string> body,
                          ReplyHandler done) {
  // dot_stuff throws SyntaxError for a line holding a line feed, before
  // anything is sent.
  std::string message = command_line(args) + dot_stuff(body);
  send_or_hold([message = std::move(message)] { return message; }, Pending{std::move(done)});
}

void AsyncClient::follow_log(std::function<void(const std::string&)> on_event,
                             ReplyHandler started) {
  on_event_ = std::move(on_event);
  send_or_hold([] { return std::string("log\n"); }, Pending{std::move(started), true});
}

void AsyncClient::send_or_hold(std::function<std::string()> message, Pending p) {
  if (closed_) {
    // Too late: answered as a connection that failed, from the loop.
    loop_.defer([done = std::move(p.done)] {
      Reply r;
      r.code = 0;
      r.text = "the connection to the server is closed";
      if (done) done(r);
    });
    return;
  }
  pending_.push_back(std::move(p));
  if (greeted_)
    conn_.write(message());
  else
    held_.push_back(std::move(message));
  if (pending_.size() == 1) arm_timer();
}

void AsyncClient::arm_timer() {
  if (closed_) return;
  if (in_log_ || (greeted_ && pending_.empty()))
    timer_->remove();
  else
    timer_->add(reply_timeout_);
}

void AsyncClient::readable() {
  evbuffer* in = conn_.input();
  const size_t n = evbuffer_get_length(in);
  if (n == 0) return;
  std::string bytes(n, '\0');
  evbuffer_remove(in, bytes.data(), n);
  std::weak_ptr<bool> alive = alive_;
  try {
    reader_.append(bytes);
    while (auto line = reader_.next_line()) {
      handle_line(std::move(*line));
      if (alive.expired() || closed_) return;
    }
  } catch (const std::exception& e) {
    if (!alive.expired()) fail(std::string("bad reply from the server: ") + e.what());
  }
}

void AsyncClient::handle_line(std::string line) {
  if (!greeted_) {
    Response greeting = parse_response(line);
    if (greeting.code != 231) {
      fail("the server refused the connection: " + line);
      return;
    }
    auto f = greeting.fields();
    if (f.size() < 3 || f[0] != protocol_generation || !is_auth_algorithm(f[1])) {
      fail("the server's greeting is not understood: " + line);
      return;
    }
    algorithm_ = f[1];
    challenge_ = from_hex(f[2]);
    greeted_ = true;
    conn_.cork();
    for (auto& m : held_)
      conn_.write(m());
    held_.clear();
    conn_.uncork();
    arm_timer();
    return;
  }
  if (in_log_) {
    auto unstuffed = unstuff_line(line);
    if (!unstuffed) {
      fail("the server ended the event log");
      return;
    }
    on_event_(std::string(*unstuffed));
    return;
  }
  if (current_) {
    if (!body_.add_line(line)) return;
    current_->body = body_.take_lines();
    body_ = BodyDecoder();
  } else {
    if (pending_.empty()) throw ProtocolError("a reply to no command: " + line);
    Reply r;
    static_cast<Response&>(r) = parse_response(line);
    if (r.has_body()) {
      current_ = std::move(r);
      return;
    }
    if (r.has_endless_body()) {
      if (!pending_.front().log) throw ProtocolError("an endless body for a command");
      in_log_ = true;
    }
    current_ = std::move(r);
  }
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  Reply reply = std::move(*current_);
  current_.reset();
  arm_timer();
  if (p.done) p.done(reply);
  // The handler may hold the last reference to whatever owns this client:
  // let it go from the loop, not from inside this call.
  loop_.defer([done = std::move(p.done)] {});
}

void AsyncClient::fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  timer_->remove();
  conn_.enable_reading(false);
  held_.clear();
  // Reported from the loop, not from inside the connection's own callback,
  // so that a handler may destroy this object.
  loop_.defer([alive = std::weak_ptr<bool>(alive_), pending = std::move(pending_),
               cb = std::move(on_closed_), why]() mutable {
    for (Pending& p : pending) {
      Reply r;
      r.code = 0;
      r.text = why;
      if (p.done) p.done(r);
    }
    if (cb && !alive.expired()) cb(why);
  });
  pending_.clear();
}

} // namespace disorder
