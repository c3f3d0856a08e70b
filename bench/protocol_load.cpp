// protocol-load: the load generator behind bench/protocol.  It drives a
// DisOrder server (disorderd) or, for comparison, MPD over loopback TCP with
// each protocol's cheapest command (`nop` / `ping`) and prints what it
// measured as `key value` lines, one per line, for the script to read.
//
// Single-threaded on purpose: the script pins it to one CPU and the servers
// to another, so a figure is the rate one client core can get out of one
// server core.  Everything is bounded by a duration or a count, and every
// blocking socket has a timeout, so a stuck server fails the run instead of
// hanging it.
#include "crypto.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// How long a blocking read or write may wait before the run is abandoned.
constexpr int kIoTimeoutSeconds = 10;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

[[noreturn]] void fail_errno(const std::string& what) {
  fail(what + ": " + std::strerror(errno));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// An owned file descriptor.
class Socket {
public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_;
};

// Which server is on the other end.  Both protocols are line based and the
// trivial command's reply is a single line, which is all the generator needs.
enum class Proto { disorder, mpd };

struct Target {
  Proto proto = Proto::disorder;
  uint16_t port = 0;
  std::string unix_path; // instead of the port, for `adduser`
  std::string user;
  std::string password;
};

std::string_view request(Proto p) {
  return p == Proto::disorder ? "nop\n" : "ping\n";
}

// The trivial command's reply: disorder_protocol(5) `nop` answers 250 (the
// text is free), MPD's `ping` answers a bare OK.
bool reply_ok(Proto p, std::string_view line) {
  return p == Proto::disorder ? line.starts_with("250") : line == "OK";
}

// One client connection with its own read buffer.  Replies are short lines,
// so a small fixed buffer with compaction is enough and allocates nothing.
class Conn {
public:
  explicit Conn(Socket s) : sock_(std::move(s)) {}

  int fd() const { return sock_.get(); }

  void write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno("write");
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads whatever is available (or blocks, on a blocking socket).  Returns
  // false when nothing could be read on a non-blocking socket.
  bool fill() {
    if (start_ > 0) {
      std::memmove(buf_, buf_ + start_, len_ - start_);
      len_ -= start_;
      start_ = 0;
    }
    if (len_ == sizeof buf_) fail("reply line longer than " + std::to_string(sizeof buf_));
    for (;;) {
      ssize_t n = ::read(fd(), buf_ + len_, sizeof buf_ - len_);
      if (n > 0) {
        len_ += static_cast<size_t>(n);
        return true;
      }
      if (n == 0) fail("server closed the connection");
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return false;
      fail_errno("read");
    }
  }

  // The next complete line in the buffer (without its newline), if any.
  // The view is valid until the next fill().
  bool next_line(std::string_view& line) {
    void* nl = std::memchr(buf_ + start_, '\n', len_ - start_);
    if (!nl) return false;
    size_t end = static_cast<size_t>(static_cast<char*>(nl) - buf_);
    line = std::string_view(buf_ + start_, end - start_);
    start_ = end + 1;
    return true;
  }

  // Blocking read of one line.
  std::string read_line() {
    std::string_view line;
    while (!next_line(line))
      fill();
    return std::string(line);
  }

  void set_nonblocking() {
    int flags = ::fcntl(fd(), F_GETFL);
    if (flags < 0 || ::fcntl(fd(), F_SETFL, flags | O_NONBLOCK) < 0) fail_errno("fcntl");
  }

private:
  Socket sock_;
  char buf_[4096];
  size_t len_ = 0, start_ = 0;
};

void set_timeouts(int fd) {
  timeval tv{kIoTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

Socket connect_tcp(uint16_t port) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) fail_errno("socket");
  int one = 1;
  ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_timeouts(s.get());
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    fail_errno("connecting to 127.0.0.1:" + std::to_string(port));
  return s;
}

Socket connect_unix(const std::string& path) {
  Socket s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) fail_errno("socket");
  set_timeouts(s.get());
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) fail("socket path too long: " + path);
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    fail_errno("connecting to " + path);
  return s;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) words.emplace_back(line.substr(i, j - i));
    i = j + 1;
  }
  return words;
}

// Reads the greeting and, for disorderd with a user set, logs in with the
// challenge-response of disorder_protocol(5).
void handshake(Conn& c, const Target& t, bool login) {
  std::string greeting = c.read_line();
  if (t.proto == Proto::mpd) {
    if (!greeting.starts_with("OK MPD ")) fail("unexpected MPD banner: " + greeting);
    return;
  }
  // 231 VERSION ALGORITHM CHALLENGE
  auto words = split_words(greeting);
  if (words.size() != 4 || words[0] != "231") fail("unexpected greeting: " + greeting);
  if (!login || t.user.empty()) return;
  std::string response =
      disorder::auth_response(words[2], t.password, disorder::from_hex(words[3]));
  c.write_all("user " + t.user + " " + response + "\n");
  std::string reply = c.read_line();
  if (!reply.starts_with("230")) fail("login as " + t.user + " failed: " + reply);
}

Conn open_session(const Target& t, bool login = true) {
  Conn c(connect_tcp(t.port));
  handshake(c, t, login);
  return c;
}

using Results = std::vector<std::pair<std::string, std::string>>;

std::string fixed(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Strict request/response on one connection: send, wait for the reply,
// repeat.  The rate is bound by the round-trip latency, not by throughput.
Results rtt_one(const Target& t, double seconds) {
  Conn c = open_session(t);
  const auto req = request(t.proto);
  uint64_t done = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::string_view line;
  while (Clock::now() < deadline) {
    c.write_all(req);
    while (!c.next_line(line))
      c.fill();
    if (!reply_ok(t.proto, line)) fail("unexpected reply: " + std::string(line));
    ++done;
  }
  double elapsed = seconds_since(start);
  return {{"ops", std::to_string(done)},
          {"seconds", fixed(elapsed, 3)},
          {"rate", fixed(static_cast<double>(done) / elapsed)},
          {"mean_latency_us", fixed(elapsed * 1e6 / static_cast<double>(done), 2)}};
}

// Many connections, each strictly request/response, all driven by one epoll
// loop: the server always has up to `conns` requests to work on.
Results rtt_many(const Target& t, int conns, double seconds) {
  std::vector<Conn> cs;
  cs.reserve(static_cast<size_t>(conns));
  for (int i = 0; i < conns; ++i)
    cs.push_back(open_session(t));

  Socket ep(::epoll_create1(EPOLL_CLOEXEC));
  if (ep.get() < 0) fail_errno("epoll_create1");
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].set_nonblocking();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, cs[i].fd(), &ev) < 0) fail_errno("epoll_ctl");
  }

  const auto req = request(t.proto);
  std::vector<uint64_t> per_conn(cs.size(), 0);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  // A 5-byte write to a socket whose previous reply has been read always
  // fits in the send buffer, so write_all never spins on EAGAIN here.
  for (auto& c : cs)
    c.write_all(req);
  size_t outstanding = cs.size();
  bool sending = true;
  epoll_event events[64];
  std::string_view line;
  while (outstanding > 0) {
    int n = ::epoll_wait(ep.get(), events, 64, kIoTimeoutSeconds * 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("epoll_wait");
    }
    if (n == 0) fail("no reply for " + std::to_string(kIoTimeoutSeconds) + " seconds");
    if (sending && Clock::now() >= deadline) sending = false;
    for (int k = 0; k < n; ++k) {
      size_t i = events[k].data.u64;
      Conn& c = cs[i];
      if (!c.fill()) continue;
      while (c.next_line(line)) {
        if (!reply_ok(t.proto, line)) fail("unexpected reply: " + std::string(line));
        ++per_conn[i];
        if (sending)
          c.write_all(req);
        else
          --outstanding;
      }
    }
  }
  double elapsed = seconds_since(start);
  uint64_t done = 0, lo = UINT64_MAX, hi = 0;
  for (auto v : per_conn) {
    done += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return {{"ops", std::to_string(done)},
          {"seconds", fixed(elapsed, 3)},
          {"rate", fixed(static_cast<double>(done) / elapsed)},
          {"min_per_conn", std::to_string(lo)},
          {"max_per_conn", std::to_string(hi)}};
}

// New connection, greeting, optionally login, close; one after another.
Results connect_rate(const Target& t, double seconds, bool login) {
  uint64_t done = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    Conn c = open_session(t, login);
    ++done;
  }
  double elapsed = seconds_since(start);
  return {{"ops", std::to_string(done)},
          {"seconds", fixed(elapsed, 3)},
          {"rate", fixed(static_cast<double>(done) / elapsed)}};
}

// ------------------------------------------------------------ adversarial

// One reply of disorder_protocol(5): the status line and, when its code
// ends in 3, the body up to its "." line.  False until all of it is in.
bool take_reply(Conn& c, int& code) {
  std::string_view line;
  for (;;) {
    if (!c.next_line(line)) return false;
    if (code == 0) {
      if (line.size() < 3) fail("malformed reply: " + std::string(line));
      code = std::atoi(std::string(line.substr(0, 3)).c_str());
      if (code % 10 != 3) return true;
    } else if (line == ".") {
      return true;
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Well-behaved clients: `conns` logged-in connections, each sending
// `command` every `interval` (or as soon as its previous reply is in, if
// that is later) and timing each reply.  Paced rather than flat out, as
// people's clients are, so the figures show how long a client waits, not
// how fast the server can be driven.
Results latency(const Target& t, int conns, double seconds, std::chrono::microseconds interval,
                const std::string& command) {
  struct Client {
    Conn conn;
    Clock::time_point next, sent;
    bool waiting = false;
    int code = 0;
  };
  std::vector<Client> cs;
  cs.reserve(static_cast<size_t>(conns));
  const auto start = Clock::now();
  for (int i = 0; i < conns; ++i) {
    cs.push_back(Client{open_session(t), {}, {}});
    // Spread the first sends over one interval.
    cs.back().next = start + interval * i / conns;
  }
  Socket ep(::epoll_create1(EPOLL_CLOEXEC));
  if (ep.get() < 0) fail_errno("epoll_create1");
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i].conn.set_nonblocking();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, cs[i].conn.fd(), &ev) < 0) fail_errno("epoll_ctl");
  }
  const std::string req = command + "\n";
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<double> lat_us;
  lat_us.reserve(
      static_cast<size_t>(seconds * conns * 1e6 / static_cast<double>(interval.count())) + 16);
  epoll_event events[64];
  size_t outstanding = 0;
  for (;;) {
    auto now = Clock::now();
    Clock::time_point wake = deadline;
    for (auto& c : cs) {
      if (c.waiting) continue;
      if (c.next <= now && now < deadline) {
        c.sent = Clock::now();
        c.conn.write_all(req);
        c.waiting = true;
        c.code = 0;
        ++outstanding;
        c.next += interval;
      } else if (c.next < wake) {
        wake = c.next;
      }
    }
    if (now >= deadline && outstanding == 0) break;
    int timeout_ms = 0;
    if (now < wake)
      timeout_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::microseconds>(wake - now).count() / 1000);
    if (outstanding > 0 && now >= deadline) timeout_ms = kIoTimeoutSeconds * 1000;
    int n = ::epoll_wait(ep.get(), events, 64, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("epoll_wait");
    }
    if (n == 0 && now >= deadline && outstanding > 0)
      fail("no reply for " + std::to_string(kIoTimeoutSeconds) + " seconds");
    for (int k = 0; k < n; ++k) {
      Client& c = cs[events[k].data.u64];
      if (!c.conn.fill()) continue;
      if (c.waiting && take_reply(c.conn, c.code)) {
        if (c.code / 100 != 2) fail("`" + command + "` failed: " + std::to_string(c.code));
        lat_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - c.sent).count());
        c.waiting = false;
        --outstanding;
        if (c.next < Clock::now()) c.next = Clock::now();
      }
    }
  }
  const double elapsed = seconds_since(start);
  const size_t ops = lat_us.size();
  return {{"ops", std::to_string(ops)},
          {"seconds", fixed(elapsed, 3)},
          {"rate", fixed(static_cast<double>(ops) / elapsed)},
          {"p50_us", fixed(percentile(lat_us, 0.50))},
          {"p99_us", fixed(percentile(lat_us, 0.99))},
          {"max_us", fixed(lat_us.empty() ? 0 : lat_us.back())}};
}

// Hostile clients, `conns` of them in four equal groups, for `seconds`:
//  - slowloris: connect and send a login line one byte a second, never
//    finishing it; start again when the server drops the connection;
//  - oversized: connect and send a line that never ends, 64 KiB at a time,
//    until the server drops the connection; then again;
//  - regexp: logged in (as --user, who has the read right), send
//    `allfiles DIR (a+)+$` (a pattern that backtracks catastrophically on
//    names of many a's) as fast as replies come;
//  - storm: connect and close at once, over and over.
// Counts what each group managed to do.
Results hostile(const Target& t, int conns, double seconds, const std::string& dir) {
  enum Kind { slowloris, oversized, regexp, storm };
  struct Agent {
    Kind kind;
    std::optional<Conn> conn;
    Clock::time_point next;
    size_t sent = 0;
    int code = 0;
  };
  std::vector<Agent> agents;
  for (int i = 0; i < conns; ++i)
    agents.push_back(Agent{static_cast<Kind>(i % 4), std::nullopt, Clock::now()});
  uint64_t connects[4] = {}, drops[4] = {}, regexp_replies = 0, regexp_refused = 0;
  const std::string chunk(65536, 'x');
  const std::string regexp_cmd = "allfiles \"" + dir + "\" \"(a+)+$\"\n";
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto fresh = [&](Agent& a) {
    a.conn.reset();
    try {
      a.conn.emplace(connect_tcp(t.port));
      ++connects[a.kind];
      if (a.kind == regexp)
        handshake(*a.conn, t, true);
      else
        a.conn->read_line(); // the greeting (or a refusal)
      a.conn->set_nonblocking();
      a.sent = 0;
      a.code = 0;
    } catch (const std::exception&) {
      a.conn.reset(); // refused or dropped at once: try again later
      ++drops[a.kind];
    }
  };
  // A non-blocking step for an agent: false when its connection is gone.
  auto alive = [](Conn& c) {
    char b[4096];
    for (;;) {
      ssize_t n = ::recv(c.fd(), b, sizeof b, MSG_DONTWAIT | MSG_PEEK);
      if (n > 0) return true;
      if (n == 0) return false;
      return errno == EAGAIN || errno == EINTR;
    }
  };
  while (Clock::now() < deadline) {
    bool idle = true;
    for (auto& a : agents) {
      const auto now = Clock::now();
      switch (a.kind) {
      case storm: {
        Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(t.port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) ++connects[storm];
        idle = false;
        break;
      }
      case slowloris:
        if (!a.conn) {
          fresh(a);
          break;
        }
        if (now < a.next) break;
        if (!alive(*a.conn)) {
          ++drops[slowloris];
          a.conn.reset();
          break;
        }
        if (::send(a.conn->fd(), "u", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
          ++drops[slowloris];
          a.conn.reset();
          break;
        }
        a.next = now + std::chrono::seconds(1);
        break;
      case oversized:
        if (!a.conn) {
          fresh(a);
          break;
        }
        if (::send(a.conn->fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
            errno != EAGAIN) {
          ++drops[oversized];
          a.conn.reset();
        }
        idle = false;
        break;
      case regexp:
        if (!a.conn) {
          fresh(a);
          break;
        }
        if (a.sent == 0) {
          if (::send(a.conn->fd(), regexp_cmd.data(), regexp_cmd.size(), MSG_NOSIGNAL) < 0) {
            ++drops[regexp];
            a.conn.reset();
            break;
          }
          a.sent = 1;
          a.code = 0;
        }
        try {
          if (a.conn->fill() && take_reply(*a.conn, a.code)) {
            ++regexp_replies;
            if (a.code / 100 != 2) ++regexp_refused;
            a.sent = 0;
            idle = false;
          }
        } catch (const std::exception&) {
          ++drops[regexp];
          a.conn.reset();
        }
        break;
      }
    }
    if (idle) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double elapsed = seconds_since(start);
  const char* names[] = {"slowloris", "oversized", "regexp", "storm"};
  Results r{{"seconds", fixed(elapsed, 3)}};
  for (int k = 0; k < 4; ++k) {
    r.emplace_back(std::string(names[k]) + "_connects", std::to_string(connects[k]));
    r.emplace_back(std::string(names[k]) + "_drops", std::to_string(drops[k]));
  }
  r.emplace_back("regexp_replies", std::to_string(regexp_replies));
  r.emplace_back("regexp_refused", std::to_string(regexp_refused));
  return r;
}

long rss_kib(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  fail("no VmRSS for process " + std::to_string(pid));
}

// `count` trivial commands on one connection, written in batches of `batch`
// and each batch's replies read before the next is sent (so neither side's
// buffers grow without bound).  With pid, the server's RSS is read before
// the first and after the last batch, with the connection still open.
Results pipeline(const Target& t, uint64_t count, uint64_t batch, long pid) {
  Conn c = open_session(t);
  std::string chunk;
  for (uint64_t i = 0; i < batch; ++i)
    chunk += request(t.proto);
  Results r;
  if (pid > 0) r.emplace_back("rss_before_kib", std::to_string(rss_kib(pid)));
  const auto start = Clock::now();
  std::string_view line;
  uint64_t done = 0;
  while (done < count) {
    uint64_t n = std::min(batch, count - done);
    c.write_all(std::string_view(chunk).substr(0, n * request(t.proto).size()));
    for (uint64_t k = 0; k < n; ++k) {
      while (!c.next_line(line))
        c.fill();
      if (!reply_ok(t.proto, line)) fail("unexpected reply: " + std::string(line));
    }
    done += n;
  }
  double elapsed = seconds_since(start);
  if (pid > 0) r.emplace_back("rss_after_kib", std::to_string(rss_kib(pid)));
  r.emplace_back("ops", std::to_string(done));
  r.emplace_back("seconds", fixed(elapsed, 3));
  r.emplace_back("rate", fixed(static_cast<double>(done) / elapsed));
  return r;
}

// Creates a user through disorderd's privileged socket, as root, retrying
// the connection while the server starts.
Results adduser(const Target& t, double wait_seconds) {
  for (char ch : t.user + t.password)
    if (ch <= ' ' || ch == '"' || ch == '\'' || ch == '\\' || ch == '#')
      fail("user and password must be plain words");
  const auto deadline = Clock::now() + std::chrono::duration<double>(wait_seconds);
  for (;;) {
    try {
      Conn c(connect_unix(t.unix_path));
      std::string greeting = c.read_line();
      if (!greeting.starts_with("231 ")) fail("unexpected greeting: " + greeting);
      c.write_all("user root -\n");
      std::string reply = c.read_line();
      if (!reply.starts_with("230")) fail("root login on the privileged socket: " + reply);
      c.write_all("adduser " + t.user + " " + t.password + "\n");
      reply = c.read_line();
      if (!reply.starts_with("250")) fail("adduser: " + reply);
      return {};
    } catch (const std::exception&) {
      if (Clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// Waits until a session can be opened (the server is listening).
Results wait_ready(const Target& t, double wait_seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(wait_seconds);
  for (;;) {
    try {
      open_session(t, false);
      return {};
    } catch (const std::exception&) {
      if (Clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

Results free_port() {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) fail_errno("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&sa), &len) < 0)
    fail_errno("finding a free port");
  return {{"port", std::to_string(ntohs(sa.sin_port))}};
}

void usage(std::FILE* f) {
  std::fputs("Usage: protocol-load MODE [OPTIONS]\n"
             "Modes (results are printed as `key value` lines):\n"
             "  rtt       round trips of the trivial command for --seconds on --conns\n"
             "            connections, each strictly request/response\n"
             "  connect   new connection + greeting (+ login unless --no-login) + close,\n"
             "            one after another, for --seconds\n"
             "  pipeline  --count trivial commands on one connection in batches of --batch;\n"
             "            with --pid, the RSS of that process before and after\n"
             "  latency   --conns logged-in connections, each sending --command (default\n"
             "            queue) every --interval-ms (default 20) for --seconds; prints the\n"
             "            rate and the p50/p99/max reply time in microseconds\n"
             "  hostile   --conns hostile connections for --seconds, in four equal groups:\n"
             "            slowloris, endless lines, `allfiles --dir (a+)+$` as --user, and\n"
             "            connect/close storms; prints what each group did\n"
             "  adduser   create --user/--password through disorderd's privileged socket\n"
             "            --unix PATH (logs in as root there)\n"
             "  wait      wait until the server on --port greets a connection\n"
             "  freeport  print a free TCP port on 127.0.0.1\n"
             "Options:\n"
             "  --proto disorder|mpd   server type (default disorder)\n"
             "  --port N               TCP port on 127.0.0.1\n"
             "  --unix PATH            privileged socket (adduser)\n"
             "  --user U --password P  disorderd login (MPD needs none)\n"
             "  --seconds S            duration of rtt/connect, or how long to wait (default 5)\n"
             "  --conns N              concurrent connections for rtt (default 1)\n"
             "  --count N --batch N    pipeline size (default 1000000, 1000)\n"
             "  --pid PID              process whose VmRSS pipeline reports\n"
             "  --no-login             connect: greeting only, no login\n"
             "  --command C            latency: the command to time (default queue)\n"
             "  --interval-ms N        latency: per-connection pacing (default 20)\n"
             "  --dir D                hostile: the directory for allfiles\n",
             f);
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || std::string_view(argv[1]) == "--help") {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string mode = argv[1];
  std::map<std::string, std::string> opt;
  for (int i = 2; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--no-login") {
      opt[key] = "1";
      continue;
    }
    if (!key.starts_with("--") || i + 1 >= argc) {
      std::fprintf(stderr, "protocol-load: bad option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
    opt[key] = argv[++i];
  }
  auto get = [&](const std::string& key, const std::string& dflt) {
    auto it = opt.find(key);
    return it == opt.end() ? dflt : it->second;
  };
  try {
    Target t;
    const std::string proto = get("--proto", "disorder");
    if (proto == "mpd")
      t.proto = Proto::mpd;
    else if (proto != "disorder")
      fail("unknown --proto " + proto);
    t.port = static_cast<uint16_t>(std::stoul(get("--port", "0")));
    t.unix_path = get("--unix", "");
    t.user = get("--user", "");
    t.password = get("--password", "");
    const double seconds = std::stod(get("--seconds", "5"));
    const int conns = std::stoi(get("--conns", "1"));
    const bool login = !opt.contains("--no-login");
    if (conns < 1) fail("--conns must be at least 1");
    if (mode != "freeport" && mode != "adduser" && t.port == 0) fail("--port is required");

    const auto start = Clock::now();
    Results r;
    if (mode == "rtt")
      r = conns == 1 ? rtt_one(t, seconds) : rtt_many(t, conns, seconds);
    else if (mode == "connect")
      r = connect_rate(t, seconds, login);
    else if (mode == "pipeline")
      r = pipeline(t, std::stoull(get("--count", "1000000")),
                   std::max<uint64_t>(1, std::stoull(get("--batch", "1000"))),
                   std::stol(get("--pid", "0")));
    else if (mode == "latency")
      r = latency(t, conns, seconds,
                  std::chrono::microseconds(
                      static_cast<long>(1000 * std::stod(get("--interval-ms", "20")))),
                  get("--command", "queue"));
    else if (mode == "hostile")
      r = hostile(t, conns, seconds, get("--dir", "/"));
    else if (mode == "adduser")
      r = adduser(t, seconds);
    else if (mode == "wait")
      r = wait_ready(t, seconds);
    else if (mode == "freeport")
      r = free_port();
    else
      fail("unknown mode '" + mode + "'");
    // Our own CPU use over the whole run: near 100 means the figure is the
    // load generator's limit rather than the server's.
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    if (mode == "rtt" || mode == "connect" || mode == "pipeline" || mode == "latency" ||
        mode == "hostile")
      r.emplace_back(
          "client_cpu_pct",
          fixed(100 * (secs(ru.ru_utime) + secs(ru.ru_stime)) / seconds_since(start), 0));
    for (const auto& [k, v] : r)
      std::printf("%s %s\n", k.c_str(), v.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "protocol-load %s: %s\n", mode.c_str(), e.what());
    return 1;
  }
}
