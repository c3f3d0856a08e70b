// libFuzzer target for disorderd's command dispatcher and every handler
// behind it: a real Server (configuration, home and SQLite database in a
// temporary directory, a small collection scanned into it by the real
// disorder-rescan) on its real event loop, and a client connected to its
// real sockets that sends the input as its byte stream.
//
// The first byte chooses who the client is: (0) not logged in, on the
// public socket; (1) logged in there with a password as a user holding
// every right; (2) root on the privileged socket.  The rest is sent as it
// is (but for "%M", which stands for the collection's root, so that seeds
// can name its tracks), then the client half-closes and reads every reply
// until the server closes the connection.  A crash, a sanitizer report, or a server that
// never closes the connection (a stall: the loop stops being served) is a
// bug; any reply is fine.
//
// One Server serves many inputs, as it would serve many clients: building
// one costs milliseconds.  What the inputs leave behind (users, queue,
// playlists, preferences) stays, so a crash may need the inputs before it;
// the Server is replaced every kInputsPerServer inputs to keep that history
// short.  Commands that would start a child process or stop the server
// (`rescan`, `shutdown`) are replaced by `nop`; no speaker is started, so
// nothing plays.
//
// Run it under libFuzzer with `scripts/fuzz commands [SECONDS]`; `make
// check` gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
// Server log lines are discarded unless DISORDER_FUZZ_LOG is set;
// DISORDER_FUZZ_TRACE shows the replies.
#include "config.hpp"
#include "connection.hpp"
#include "crypto.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "rights.hpp"
#include "server.hpp"
#include "split.hpp"
#include "users/user_store.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <event2/event.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace disorder;
namespace fs = std::filesystem;

constexpr int kInputsPerServer = 500;
// Longer inputs are cut: the dispatcher's own limits are far beyond what a
// fuzzer can explore, and a cut keeps every input fast.
constexpr std::size_t kMaxInput = 64 * 1024;
// A connection the server has not closed by then is a stall.
constexpr auto kStallTimeout = std::chrono::seconds(20);
const char kPassword[] = "fuzz";

// Where our own complaints go: stderr as it was before the Fixture
// silenced the server's log.
std::FILE* const diagnostics = stderr;

// DISORDER_FUZZ_TRACE: the replies to each input go there too, to see
// what a seed reaches.
const bool trace = std::getenv("DISORDER_FUZZ_TRACE") != nullptr;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(diagnostics, "fuzz_commands: %s\n", why.c_str());
  std::fflush(diagnostics);
  __builtin_trap();
}

void write_file(const fs::path& path, std::string_view contents) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!f) fail("cannot write " + path.string());
}

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>(v >> (8 * i) & 0xff);
}

// A short silent WAV file whose RIFF INFO chunk names artist, album and
// title, so that the tracks have tags for `part`, `search` and `tags`.
std::string wav_with_tags(std::string_view artist, std::string_view album, std::string_view title) {
  std::string info = "INFO";
  for (auto [id, text] : {std::pair{"IART", artist}, {"IPRD", album}, {"INAM", title}}) {
    std::string value(text);
    value += '\0';
    if (value.size() % 2) value += '\0';
    info += id;
    put_le(info, static_cast<std::uint32_t>(value.size()), 4);
    info += value;
  }
  const std::uint32_t data_bytes = 1600; // 0.1 s of 8 kHz mono 16-bit
  std::string body = "WAVEfmt ";
  put_le(body, 16, 4);
  put_le(body, 1, 2);    // PCM
  put_le(body, 1, 2);    // channels
  put_le(body, 8000, 4); // rate
  put_le(body, 16000, 4);
  put_le(body, 2, 2);
  put_le(body, 16, 2);
  body += "LIST";
  put_le(body, static_cast<std::uint32_t>(info.size()), 4);
  body += info;
  body += "data";
  put_le(body, data_bytes, 4);
  body.append(data_bytes, '\0');
  std::string file = "RIFF";
  put_le(file, static_cast<std::uint32_t>(body.size()), 4);
  return file + body;
}

// disorder-rescan from the same build tree.
std::string rescan_program() {
  if (const char* b = std::getenv("DISORDER_BUILDDIR"))
    return std::string(b) + "/server/disorder-rescan";
  return (fs::read_symlink("/proc/self/exe").parent_path() / "../../server/disorder-rescan")
      .lexically_normal()
      .string();
}

class Fixture {
public:
  Fixture() {
    char tmpl[] = "/tmp/disorder-fuzz-commands-XXXXXX";
    if (!::mkdtemp(tmpl)) fail("mkdtemp failed");
    dir_ = tmpl;
    const fs::path music = dir_ / "music";
    write_file(music / "Artist One/First Album/01 Opening.wav",
               wav_with_tags("Artist One", "First Album", "Opening"));
    write_file(music / "Artist One/First Album/02 Second \"Quoted\".wav",
               wav_with_tags("Artist One", "First Album", "Second \"Quoted\""));
    write_file(music / "Artist Two/Other/03 Ünïcödé.wav",
               wav_with_tags("Artist Two", "Other", "Ünïcödé"));
    write_file(music / "loose track.wav", wav_with_tags("", "", ""));
    write_file(music / "not audio.txt", "text");
    if (!std::getenv("DISORDER_FUZZ_LOG")) {
      // The server logs every failed login and refused command; thousands
      // of inputs would bury the fuzzer's own output.  Only the C stream
      // goes: sanitizer reports and libFuzzer write to fd 2 or their own
      // copy of it.
      quiet_ = std::fopen("/dev/null", "w");
      if (quiet_) stderr = quiet_;
    }
    // A write to a connection the server has closed must not kill us.
    std::signal(SIGPIPE, SIG_IGN);
  }

  ~Fixture() {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string music() const { return (dir_ / "music").string(); }

  Server& server() {
    if (!server_ || inputs_ == kInputsPerServer) start_server();
    ++inputs_;
    return *server_;
  }

private:
  void start_server() {
    server_.reset();
    std::error_code ec;
    if (generation_ > 0) fs::remove_all(dir_ / ("home" + std::to_string(generation_ - 1)), ec);
    const fs::path home = dir_ / ("home" + std::to_string(generation_++));
    const fs::path config = dir_ / "config";
    // Request mode, so that rtp-request and rtp-cancel do their work; the
    // speaker they would talk to is never started.
    write_file(config, "home " + home.string() + "\ncollection fs UTF-8 " +
                           (dir_ / "music").string() + "\napi rtp\nrtp_mode request\n");
    fs::create_directories(home);
    scan(config);
    ConfigPaths paths;
    paths.system = config.string();
    paths.priv = config.string() + ".private";
    // The Server takes SIGINT, SIGTERM and SIGHUP for its loop; give them
    // back to whoever had them (libFuzzer stops cleanly on SIGINT).
    struct sigaction saved[3];
    const int taken[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; ++i)
      ::sigaction(taken[i], nullptr, &saved[i]);
    server_ = std::make_unique<Server>(paths, std::make_unique<Config>(load_server_config(paths)));
    for (int i = 0; i < 3; ++i)
      ::sigaction(taken[i], &saved[i], nullptr);
    inputs_ = 0;
  }

  // Fills the database the way disorderd's first start would.
  void scan(const fs::path& config) {
    const std::string program = rescan_program();
    if (::access(program.c_str(), X_OK) != 0) {
      if (!warned_)
        std::fprintf(diagnostics, "fuzz_commands: no %s: empty collection\n", program.c_str());
      warned_ = true;
      return;
    }
    pid_t pid = ::fork();
    if (pid < 0) fail("fork failed");
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) ::dup2(null, 2);
      ::execl(program.c_str(), program.c_str(), "--config", config.c_str(), "--no-syslog",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail(program + " " + describe_wait_status(status));
  }

  fs::path dir_;
  std::unique_ptr<Server> server_;
  int inputs_ = 0;
  int generation_ = 0;
  bool warned_ = false;
  std::FILE* quiet_ = nullptr;
};

// Makes name a user with every right (and, when one is given, this
// password), whatever earlier inputs did to it (deluser, edituser).
void ensure_user(Server& server, const std::string& name, const char* password) {
  auto u = server.users().find(name);
  if (u && (!password || u->password == password) && u->rights == right::all && u->confirmed)
    return;
  if (u) server.users().remove(name);
  server.users().add(name, password ? password : to_hex(random_bytes(16)), right::all);
}

// The input with "%M" replaced by the collection's root and each command
// that would start a process or stop the server turned into `nop`.  Lines
// are cut where the server cuts them, and read with the same splitter.
std::string defused(std::string_view raw, const std::string& root) {
  std::string expanded;
  for (std::size_t at = 0; at < raw.size(); ++at) {
    if (raw[at] == '%' && at + 1 < raw.size() && raw[at + 1] == 'M') {
      expanded += root;
      ++at;
    } else {
      expanded += raw[at];
    }
  }
  std::string_view input = expanded;
  std::string out;
  while (!input.empty()) {
    const std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    std::vector<std::string> fields;
    try {
      fields = split_fields(line);
    } catch (const SyntaxError&) {
    }
    if (!fields.empty() && (fields[0] == "rescan" || fields[0] == "shutdown"))
      out += "nop";
    else
      out += line;
    if (nl == std::string_view::npos) break;
    out += '\n';
    input.remove_prefix(nl + 1);
  }
  return out;
}

// One client connection on the server's loop: the login, the input, and
// every reply until the server closes the connection.
class Session {
public:
  enum class Who { anonymous, user, root };

  Session(Server& server, Who who, std::string input)
      : server_(server), who_(who), input_(std::move(input)) {
    const std::string path =
        who == Who::root ? server.config().private_socket_path() : server.config().socket_path();
    fd_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), std::min(path.size(), sizeof sun.sun_path - 1));
    if (!fd_ || ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0)
      fail("cannot connect to " + path + ": " + std::strerror(errno));
    auto& loop = server.loop();
    reader_ = Event::io(loop, fd_.get(), EV_READ | EV_PERSIST, [this](short) { on_readable(); });
    writer_ = Event::io(loop, fd_.get(), EV_WRITE | EV_PERSIST, [this](short) { flush(); });
    watchdog_ = Event::timer(loop, [](short) {
      fail("the server did not close the connection within " +
           std::to_string(kStallTimeout.count()) + " s");
    });
    reader_->add();
    watchdog_->add(kStallTimeout);
  }

  void run() { server_.loop().run(); }

private:
  void on_readable() {
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n > 0) {
        if (stage_ != Stage::input)
          received_.append(buf, static_cast<std::size_t>(n));
        else if (trace)
          std::fwrite(buf, 1, static_cast<std::size_t>(n), diagnostics);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      // End of stream (or a reset): the server has dropped the connection.
      if (stage_ != Stage::input) fail("connection closed before the input was sent: " + received_);
      server_.loop().stop();
      return;
    }
    while (stage_ != Stage::input) {
      const std::size_t nl = received_.find('\n');
      if (nl == std::string::npos) return;
      const std::string line = received_.substr(0, nl);
      received_.erase(0, nl + 1);
      advance(line);
    }
  }

  void advance(const std::string& line) {
    if (stage_ == Stage::greeting) {
      // "231 2 ALGORITHM CHALLENGE"
      const auto f = split_fields(line);
      if (f.size() != 4 || f[0] != "231") fail("unexpected greeting: " + line);
      if (who_ == Who::anonymous) return send_input();
      stage_ = Stage::login;
      if (who_ == Who::root)
        send("user root -\n");
      else
        send("user fuzz " + auth_response(f[2], kPassword, from_hex(f[3])) + "\n");
      return;
    }
    if (line.rfind("230 ", 0) != 0) fail("login refused: " + line);
    send_input();
  }

  void send_input() {
    stage_ = Stage::input;
    received_.clear();
    send(input_);
    half_close_ = true;
    flush();
  }

  void send(std::string_view data) {
    pending_ += data;
    flush();
  }

  void flush() {
    while (!pending_.empty()) {
      const ssize_t n = ::send(fd_.get(), pending_.data(), pending_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          if (!writer_->pending()) writer_->add();
          return;
        }
        // The server closed first (an overlong line, say): nothing more to
        // send, and the reader will see the end.
        pending_.clear();
        break;
      }
      pending_.erase(0, static_cast<std::size_t>(n));
    }
    if (writer_->pending()) writer_->remove();
    if (half_close_) ::shutdown(fd_.get(), SHUT_WR);
  }

  enum class Stage { greeting, login, input };
  Server& server_;
  Who who_;
  std::string input_;
  Fd fd_;
  std::unique_ptr<Event> reader_, writer_, watchdog_;
  Stage stage_ = Stage::greeting;
  std::string received_, pending_;
  bool half_close_ = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  if (size == 0) return 0;
  Server& server = fixture.server();
  const auto who = static_cast<Session::Who>(data[0] % 3);
  if (who == Session::Who::root) ensure_user(server, "root", nullptr);
  if (who == Session::Who::user) ensure_user(server, "fuzz", kPassword);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1,
                               std::min(size - 1, kMaxInput));
  Session session(server, who, defused(input, fixture.music()));
  session.run();
  return 0;
}
