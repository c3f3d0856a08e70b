// The synchronous protocol client (client.hpp): sockets, greeting, login,
// command/reply exchange and the event log.
#include "client.hpp"

#include "crypto.hpp"
#include "split.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace disorder {

namespace {

// The protocol generation of the greeting that this client speaks.
constexpr std::string_view protocol_generation = "2";

// Run a parser on text the server sent; its SyntaxError means the server
// broke the protocol, which is what the caller has to hear about.
template <typename F> auto parsing_reply(F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const SyntaxError& e) {
    throw ProtocolError(std::string("malformed reply from server: ") + e.what());
  }
}

Fd connect_unix_socket(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) throw Error("socket path too long: " + path);
  std::memcpy(sun.sun_path, path.data(), path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) < 0)
    throw ConnectError(path, errno);
  return fd;
}

struct AddrinfoDeleter {
  void operator()(addrinfo* ai) const noexcept { ::freeaddrinfo(ai); }
};

Fd connect_tcp_socket(const NetAddress& address) {
  addrinfo hints{};
  hints.ai_family = address.family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* raw = nullptr;
  const std::string where = address.host + " " + address.service;
  int rc = ::getaddrinfo(address.host.c_str(), address.service.c_str(), &hints, &raw);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) throw_errno("cannot resolve " + where);
    throw Error("cannot resolve " + where + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
  // Try each address in the resolver's order; report the last failure.
  int last_errno = EADDRNOTAVAIL;
  for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last_errno = errno;
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    last_errno = errno;
  }
  throw ConnectError(where, last_errno);
}

} // namespace

CommandError::CommandError(int code, std::string text)
    : Error(text.empty() ? "server error " + std::to_string(code) : text), code_(code),
      text_(std::move(text)) {}

std::string Reply::value() const {
  auto f = parsing_reply([this] { return fields(); });
  if (f.empty()) throw ProtocolError("reply " + std::to_string(code) + " carries no value");
  return std::move(f.front());
}

Client::Client(Fd fd, Trace trace) : fd_(std::move(fd)), trace_(std::move(trace)) {}

Client Client::open_unix(const std::string& path, Trace trace) {
  Client c(connect_unix_socket(path), std::move(trace));
  c.read_greeting();
  return c;
}

Client Client::open_tcp(const NetAddress& address, Trace trace) {
  Client c(connect_tcp_socket(address), std::move(trace));
  c.read_greeting();
  return c;
}

Client Client::open(const Config& config, Trace trace) {
  if (config.connect) return open_tcp(*config.connect, std::move(trace));
  return open_unix(config.socket_path(), std::move(trace));
}

Client Client::connect(const Config& config, Trace trace) {
  const std::string user = config.username.empty() ? login_name() : config.username;
  auto no_password = [&user] {
    return ConfigError("no password is configured for user '" + user +
                       "': put 'password PASSWORD' in ~/.disorder/passwd, or have an "
                       "administrator run 'disorder authorize " +
                       user + "'");
  };
  if (config.connect) {
    if (config.password.empty()) throw no_password();
    Client c = open_tcp(*config.connect, std::move(trace));
    c.login(user, config.password);
    return c;
  }
  if (config.password.empty()) {
    // Only root and the server's own user can reach the privileged socket;
    // for anyone else a refused connection means "you need a password".
    try {
      Client c = open_unix(config.private_socket_path(), std::move(trace));
      c.login_trusted(user);
      return c;
    } catch (const SystemError& e) {
      if (e.code() == EACCES || e.code() == EPERM) throw no_password();
      throw;
    }
  }
  Client c = open_unix(config.socket_path(), std::move(trace));
  c.login(user, config.password);
  return c;
}

std::string Client::login_name() {
  const uid_t uid = ::getuid();
  const passwd* pw = ::getpwuid(uid);
  if (!pw)
    throw Error("cannot find the login name of uid " + std::to_string(uid) +
                "; set 'username' in the configuration");
  return pw->pw_name;
}

void Client::check_usable() const {
  if (broken_) throw ProtocolError("the connection to the server is no longer usable");
}

void Client::send(const std::string& data) {
  check_usable();
  if (trace_) {
    std::string_view rest = data;
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      trace_("> " + std::string(rest.substr(0, nl)));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
  }
  std::string_view rest = data;
  while (!rest.empty()) {
    // MSG_NOSIGNAL: a server that went away must give an error, not SIGPIPE
    // killing whichever program uses this library.
    ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      throw_errno("sending to the server");
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

std::optional<std::string> Client::read_line_or_eof() {
  check_usable();
  try {
    while (true) {
      if (auto line = reader_.next_line()) {
        if (trace_) trace_("< " + *line);
        return line;
      }
      char buffer[65536];
      ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("reading from the server");
      }
      if (n == 0) {
        if (reader_.has_partial())
          throw ConnectionClosed("the server closed the connection mid-line");
        return std::nullopt;
      }
      reader_.append(std::string_view(buffer, static_cast<size_t>(n)));
    }
  } catch (...) {
    broken_ = true;
    throw;
  }
}

std::string Client::read_line() {
  auto line = read_line_or_eof();
  if (!line) {
    broken_ = true;
    throw ConnectionClosed("the server closed the connection");
  }
  return std::move(*line);
}

Response Client::read_response() {
  std::string line = read_line();
  try {
    return parsing_reply([&line] { return parse_response(line); });
  } catch (...) {
    broken_ = true;
    throw;
  }
}

void Client::read_greeting() {
  Response greeting = read_response();
  if (!greeting.ok()) throw CommandError(greeting.code, greeting.text);
  try {
    if (greeting.code != 231)
      throw ProtocolError("unexpected greeting from server: " + std::to_string(greeting.code));
    auto f = parsing_reply([&greeting] { return greeting.fields(); });
    if (f.size() < 3) throw ProtocolError("greeting from server has too few fields");
    if (f[0] != protocol_generation)
      throw ProtocolError("server speaks protocol generation " + f[0] + ", this client " +
                          std::string(protocol_generation));
    if (!is_auth_algorithm(f[1]))
      throw ProtocolError("server asks for unknown hash algorithm '" + f[1] + "'");
    algorithm_ = f[1];
    challenge_ = parsing_reply([&f] { return from_hex(f[2]); });
  } catch (...) {
    broken_ = true;
    throw;
  }
}

Reply Client::exchange(const std::string& message) {
  send(message);
  Reply reply;
  static_cast<Response&>(reply) = read_response();
  if (reply.has_endless_body()) {
    broken_ = true;
    throw ProtocolError("reply " + std::to_string(reply.code) +
                        " opens an endless body, which only 'log' may do");
  }
  if (reply.has_body()) {
    BodyDecoder decoder;
    while (!decoder.add_line(read_line())) {
    }
    reply.body = decoder.take_lines();
  }
  return reply;
}

Reply Client::request(const std::vector<std::string>& command) {
  return exchange(quote_fields(command) + "\n");
}

Reply Client::request(const std::vector<std::string>& command,
                      const std::vector<std::string>& body) {
  // Encode everything first, so a bad body line fails before any byte is
  // sent and the connection stays in step.
  return exchange(quote_fields(command) + "\n" + dot_stuff(body));
}

Reply Client::command(const std::vector<std::string>& command) {
  Reply reply = request(command);
  if (!reply.ok()) throw CommandError(reply.code, reply.text);
  return reply;
}

Reply Client::command(const std::vector<std::string>& command,
                      const std::vector<std::string>& body) {
  Reply reply = request(command, body);
  if (!reply.ok()) throw CommandError(reply.code, reply.text);
  return reply;
}

void Client::login(std::string_view user, std::string_view password) {
  command({"user", std::string(user), auth_response(algorithm_, password, challenge_)});
  user_ = user;
}

void Client::login_trusted(std::string_view user) {
  command({"user", std::string(user), "-"});
  user_ = user;
}

std::string Client::login_cookie(std::string_view cookie) {
  user_ = command({"cookie", std::string(cookie)}).value();
  return user_;
}

void Client::follow_log(const std::function<bool(std::string_view)>& on_event) {
  send("log\n");
  Response r = read_response();
  if (!r.ok()) throw CommandError(r.code, r.text);
  if (!r.has_endless_body() && !r.has_body()) {
    broken_ = true;
    throw ProtocolError("reply " + std::to_string(r.code) + " to 'log' has no body");
  }
  try {
    while (auto line = read_line_or_eof()) {
      auto event = unstuff_line(*line);
      if (!event || !on_event(*event)) break;
    }
  } catch (...) {
    broken_ = true;
    throw;
  }
  // However the loop ended, the connection is still inside a body that
  // never ends, so no other command can follow.
  broken_ = true;
}

std::string Client::version() {
  return command({"version"}).value();
}

void Client::nop() {
  command({"nop"});
}

std::vector<std::string> Client::users() {
  return command({"users"}).body;
}

void Client::adduser(std::string_view user, std::string_view password,
                     const std::optional<std::string>& rights) {
  std::vector<std::string> c{"adduser", std::string(user), std::string(password)};
  if (rights) c.push_back(*rights);
  command(c);
}

void Client::deluser(std::string_view user) {
  command({"deluser", std::string(user)});
}

void Client::edituser(std::string_view user, std::string_view property, std::string_view value) {
  command({"edituser", std::string(user), std::string(property), std::string(value)});
}

std::optional<std::string> Client::optional_value(const std::vector<std::string>& command) {
  Reply reply = request(command);
  if (reply.code == 555) return std::nullopt;
  if (!reply.ok()) throw CommandError(reply.code, reply.text);
  return reply.value();
}

std::optional<std::string> Client::userinfo(std::string_view user, std::string_view property) {
  return optional_value({"userinfo", std::string(user), std::string(property)});
}

void Client::enable() {
  command({"enable"});
}

void Client::disable(bool now) {
  if (now)
    command({"disable", "now"});
  else
    command({"disable"});
}

bool Client::yes_no(const std::string& name) {
  std::string v = command({name}).value();
  if (v == "yes") return true;
  if (v == "no") return false;
  throw ProtocolError("reply to '" + name + "' is neither yes nor no");
}

bool Client::enabled() {
  return yes_no("enabled");
}

void Client::random_enable() {
  command({"random-enable"});
}

void Client::random_disable() {
  command({"random-disable"});
}

bool Client::random_enabled() {
  return yes_no("random-enabled");
}

void Client::set_global(std::string_view key, std::string_view value) {
  command({"set-global", std::string(key), std::string(value)});
}

std::optional<std::string> Client::get_global(std::string_view key) {
  return optional_value({"get-global", std::string(key)});
}

void Client::unset_global(std::string_view key) {
  command({"unset-global", std::string(key)});
}

void Client::reconfigure() {
  command({"reconfigure"});
}

void Client::shutdown() {
  try {
    command({"shutdown"});
  } catch (const ConnectionClosed&) {
    // The server may exit before its reply reaches us; that is success.
  }
}

std::string Client::make_cookie() {
  return command({"make-cookie"}).value();
}

void Client::revoke() {
  command({"revoke"});
}

} // namespace disorder
