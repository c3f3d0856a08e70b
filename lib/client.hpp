// The synchronous client of disorder_protocol(5): connect (UNIX socket or
// TCP), authenticate, send commands and read their replies and bodies, and
// follow the event log.  Used by the disorder CLI, the web frontend, the RTP
// player and the tests.  Blocking I/O, one command at a time; one Client
// per thread.
#pragma once

#include "config.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "protocol.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// The server refused a command: a reply whose code is not 2xx.  what() is
// the server's human-readable text.  The connection stays usable.
class CommandError : public Error {
public:
  CommandError(int code, std::string text);
  int code() const noexcept { return code_; }
  const std::string& text() const noexcept { return text_; }

private:
  int code_;
  std::string text_;
};

// No connection could be made to the server.  what() is "cannot connect to
// ADDRESS: REASON"; address() is the UNIX socket path, or "HOST PORT".
class ConnectError : public SystemError {
public:
  ConnectError(std::string address, int errnum)
      : SystemError("cannot connect to " + address, errnum), address_(std::move(address)) {}
  const std::string& address() const noexcept { return address_; }

private:
  std::string address_;
};

// The server closed the connection where a reply or a line was expected.
class ConnectionClosed : public ProtocolError {
public:
  using ProtocolError::ProtocolError;
};

// A complete reply: the response line and, for xx3 codes, the decoded body.
struct Reply : Response {
  std::vector<std::string> body;

  // The first field of the text: the value of an xx1/xx2 reply.  Throws
  // ProtocolError if the text has no field or is not valid field syntax.
  std::string value() const;
};

class Client {
public:
  // Receives every line sent ("> LINE") and received ("< LINE"), for
  // --debug.  Lines of command bodies are included, so a password given to
  // adduser or edituser appears in clear.
  using Trace = std::function<void(std::string_view)>;

  // Connect and read the server's greeting, without logging in.  Throw
  // ConnectError when the connection cannot be made, ProtocolError for a
  // malformed greeting, CommandError if the server refuses us at once.
  static Client open_unix(const std::string& path, Trace trace = {});
  static Client open_tcp(const NetAddress& address, Trace trace = {});
  // The public endpoint of a configuration: TCP to `connect` if that is
  // set, otherwise the UNIX socket home/socket.  For cookie logins and
  // commands that need no login (nop, rtp-address).
  static Client open(const Config& config, Trace trace = {});

  // Connect and log in as the configuration says.  The user is `username`,
  // else the login name of the real uid.  With `connect` set: TCP and the
  // password.  Otherwise, when no password is configured, the privileged
  // socket home/private/socket (reachable by root and the server's user
  // only) logs in without one; when a password is configured, home/socket
  // with the password.  Throws ConfigError when a password is needed and
  // none is configured.
  static Client connect(const Config& config, Trace trace = {});

  // The login name of the real uid; throws Error if it has none.
  static std::string login_name();

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;
  ~Client() = default;

  // Challenge-response login; throws CommandError (530) if refused.
  void login(std::string_view user, std::string_view password);
  // Password-less login ("user NAME -"), honoured on the privileged socket
  // only.
  void login_trusted(std::string_view user);
  // Log in with a cookie from make-cookie; returns the user it names.
  std::string login_cookie(std::string_view cookie);
  // Who we are logged in as; empty before a login.
  const std::string& user() const noexcept { return user_; }

  // Send a command (fields quoted as needed) and read the whole reply,
  // including its body when the code ends in 3.  request() returns failure
  // replies too; command() throws CommandError for them.  Throws
  // ProtocolError if the reply is malformed or announces an endless body
  // (use follow_log for that), ConnectionClosed if the server went away.
  // After a ProtocolError or SystemError the Client is unusable: later
  // calls throw ProtocolError.
  Reply request(const std::vector<std::string>& command);
  Reply command(const std::vector<std::string>& command);
  // The same, sending `body` dot-stuffed after the command line.  Throws
  // SyntaxError, before sending anything, if a body line holds a line feed.
  Reply request(const std::vector<std::string>& command, const std::vector<std::string>& body);
  Reply command(const std::vector<std::string>& command, const std::vector<std::string>& body);

  // Send "log" and pass each event line (unstuffed, without its line feed)
  // to on_event until it returns false, the body ends or the server closes
  // the connection at a line boundary (a normal return in each case).  The
  // log never ends by itself, so afterwards the Client is unusable.
  void follow_log(const std::function<bool(std::string_view)>& on_event);

  // Typed forms of common commands, each as disorder_protocol(5) describes.
  std::string version();
  void nop();
  std::vector<std::string> users();
  void adduser(std::string_view user, std::string_view password,
               const std::optional<std::string>& rights = std::nullopt);
  void deluser(std::string_view user);
  void edituser(std::string_view user, std::string_view property, std::string_view value);
  // nullopt when the user or property does not exist (555).
  std::optional<std::string> userinfo(std::string_view user, std::string_view property);
  void enable();
  void disable(bool now = false);
  bool enabled();
  void random_enable();
  void random_disable();
  bool random_enabled();
  void set_global(std::string_view key, std::string_view value);
  // nullopt when the preference is not set (555).
  std::optional<std::string> get_global(std::string_view key);
  void unset_global(std::string_view key);
  void reconfigure();
  // Succeeds also if the server closes the connection instead of replying.
  void shutdown();
  std::string make_cookie();
  void revoke();

private:
  Client(Fd fd, Trace trace);

  void read_greeting();
  // Send a complete command message and read the whole reply.
  Reply exchange(const std::string& message);
  void send(const std::string& data);
  // Next line from the server; throws ConnectionClosed at end of input.
  std::string read_line();
  // Next line, or nullopt at end of input between lines.
  std::optional<std::string> read_line_or_eof();
  Response read_response();
  void check_usable() const;
  bool yes_no(const std::string& command);
  std::optional<std::string> optional_value(const std::vector<std::string>& command);

  Fd fd_;
  LineReader reader_;
  Trace trace_;
  std::string algorithm_;
  std::string challenge_; // raw bytes
  std::string user_;
  bool broken_ = false;
};

} // namespace disorder
