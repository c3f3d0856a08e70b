// libFuzzer target for the client's reply reader (lib/client.*), which the
// disorder CLI, disorder-playrtp and the web frontend trust with whatever a
// server sends: greeting, response lines, bodies, values and the event log.
//
// The input's first two bytes choose up to four client calls (four bits
// each: login, version, users, a body command, follow_log, ...); the rest
// is everything "the server" sends, written to a real UNIX socket by a
// thread that then half-closes it.  CommandError, ProtocolError,
// SyntaxError and SystemError are correct answers; a crash, a hang, any
// other exception, or a reply that breaks the documented shape (a code
// outside 100-999, a body on a code that announces none) is a bug.
#include "client.hpp"
#include "error.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace disorder;

// A server's whole output is cut to this; more only repeats what a reader
// of lines already does.
constexpr std::size_t kMaxInput = 256 * 1024;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

// The listening socket the client connects to, in a temporary directory.
class Listener {
public:
  Listener() {
    char tmpl[] = "/tmp/disorder-fuzz-client-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    dir_ = tmpl;
    path_ = dir_ + "/socket";
    fd_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path_.c_str(), path_.size() + 1);
    if (!fd_ || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0 ||
        ::listen(fd_.get(), 4) < 0)
      std::abort();
    std::signal(SIGPIPE, SIG_IGN);
  }
  ~Listener() {
    fd_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

private:
  std::string dir_, path_;
  Fd fd_;
};

// "The server": accepts one connection, sends the input, half-closes, and
// reads what the client sends until the client closes.
void serve(int listener, std::string_view output) {
  Fd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return;
  while (!output.empty()) {
    const ssize_t n = ::send(conn.get(), output.data(), output.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      break; // the client has gone
    }
    output.remove_prefix(static_cast<std::size_t>(n));
  }
  ::shutdown(conn.get(), SHUT_WR);
  char buf[4096];
  while (::read(conn.get(), buf, sizeof buf) > 0) {
  }
}

void check(const Reply& r) {
  require(r.code >= 100 && r.code <= 999);
  require(r.has_body() || r.body.empty());
}

// One client call, chosen by op.
void call(Client& c, unsigned op) {
  switch (op) {
  case 0:
    c.login("fuzz", "password");
    break;
  case 1:
    c.login_trusted("root");
    break;
  case 2:
    c.login_cookie("cookie");
    break;
  case 3:
    c.version();
    break;
  case 4:
    c.users();
    break;
  case 5:
    c.enabled();
    break;
  case 6:
    c.get_global("key");
    break;
  case 7:
    c.userinfo("fuzz", "email");
    break;
  case 8:
    c.make_cookie();
    break;
  case 9:
    check(c.request({"queue"}));
    break;
  case 10:
    check(c.request({"playlist-set", "list"}, {"one", ".two", ""}));
    break;
  case 11:
    check(c.command({"stats"}));
    break;
  case 12:
    c.shutdown();
    break;
  case 13:
    c.nop();
    break;
  case 14: {
    std::size_t events = 0;
    c.follow_log([&events](std::string_view line) {
      require(line.find('\n') == std::string_view::npos);
      return ++events < 1000;
    });
    break;
  }
  default:
    check(c.request({"x", "quoted \"field\"\n"}));
    break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Listener listener;
  if (size < 2) return 0;
  const unsigned ops = data[0] | unsigned{data[1]} << 8;
  const std::string_view output(reinterpret_cast<const char*>(data) + 2,
                                std::min(size - 2, kMaxInput));
  std::thread server(serve, listener.fd(), output);
  try {
    Client c = Client::open_unix(listener.path());
    for (int i = 0; i < 4; ++i) {
      try {
        call(c, ops >> (4 * i) & 0xf);
      } catch (const CommandError& e) {
        // A refusal leaves the connection usable: go on with the next call.
        require(e.code() < 200 || e.code() > 299);
      }
    }
  } catch (const Error&) {
    // ProtocolError, ConnectionClosed, SyntaxError, SystemError: the
    // server broke the protocol or went away, and the client said so.
  }
  // The client has closed its socket: the server thread finishes.
  server.join();
  return 0;
}
