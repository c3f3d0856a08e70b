// Composing a mail and speaking SMTP (RFC 5321) to sendmail -bs or to an
// SMTP server, and the child process that keeps a daemon's loop free while
// it happens.
#include "mail.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "subprocess.hpp"
#include "utf8.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <event2/event.h>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kSendmailGrace{5};

// A descriptor that becomes readable when pid exits (Linux 5.3); -1 when
// the kernel cannot give one.  Through syscall(): glibc's declaration is
// not usable from C++ in every version.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Printable for a message or a log line: a reply from a server or a
// sendmail must not be able to break a log line.
std::string printable(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (unsigned char c : s.substr(0, max))
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  if (s.size() > max) out += "...";
  return out;
}

bool is_atext(unsigned char c) {
  return std::isalnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// A dot-atom (RFC 5322 3.2.3): atext runs separated by single dots.
bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (c == 0 || !is_atext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
    prev = c;
  }
  return true;
}

// Control characters, in C0, DEL or (as UTF-8) C1.
bool has_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;
  }
  return false;
}

std::string base64(std::string_view data) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16 |
                 static_cast<unsigned char>(data[i + 1]) << 8 |
                 static_cast<unsigned char>(data[i + 2]);
    out += kDigits[v >> 18 & 63];
    out += kDigits[v >> 12 & 63];
    out += kDigits[v >> 6 & 63];
    out += kDigits[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kDigits[v >> 18 & 63];
    out += kDigits[v >> 12 & 63];
    out += i + 1 < data.size() ? kDigits[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

// The SMTP dialogue over one connected, bidirectional socket, every read
// and write bounded by one deadline.  Throws Error on a refusal, a
// malformed reply, a closed connection or the deadline.
class SmtpConversation {
public:
  SmtpConversation(int fd, std::string peer, Clock::time_point deadline)
      : fd_(fd), peer_(std::move(peer)), deadline_(deadline) {}

  struct Reply {
    int code = 0;
    std::string text; // the last line's text
  };

  // Sends command (without CRLF; empty to send nothing, for the greeting)
  // and reads the reply, which must have one of the codes in `ok`.
  Reply exchange(std::string_view command, std::initializer_list<int> ok, std::string_view what) {
    if (!command.empty()) send(std::string(command) + "\r\n");
    Reply r = read_reply(what);
    if (std::find(ok.begin(), ok.end(), r.code) == ok.end())
      throw Error(peer_ + " refused " + std::string(what) + ": " + std::to_string(r.code) + " " +
                  printable(r.text));
    return r;
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      wait_for(POLLOUT, "sending");
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        throw SystemError("sending to " + peer_, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  Reply read_reply(std::string_view what) {
    // A reply is lines "NNN-text" ending with "NNN text" (or just "NNN").
    for (int lines = 0; lines < kMaxReplyLines; ++lines) {
      std::string line = read_line(what);
      if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
          !std::isdigit(static_cast<unsigned char>(line[1])) ||
          !std::isdigit(static_cast<unsigned char>(line[2])) ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
        throw Error(peer_ + " sent a malformed reply to " + std::string(what) + ": " +
                    printable(line));
      if (line.size() == 3 || line[3] == ' ')
        return Reply{std::stoi(line.substr(0, 3)), line.size() > 4 ? line.substr(4) : ""};
    }
    throw Error(peer_ + " sent an endless reply to " + std::string(what));
  }

private:
  static constexpr int kMaxReplyLines = 100;
  static constexpr std::size_t kMaxLine = 4096;

  std::string read_line(std::string_view what) {
    for (;;) {
      auto lf = buffer_.find('\n');
      if (lf != std::string::npos) {
        std::string line = buffer_.substr(0, lf);
        buffer_.erase(0, lf + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buffer_.size() > kMaxLine)
        throw Error(peer_ + " sent an overlong reply line to " + std::string(what));
      wait_for(POLLIN, what);
      char buf[1024];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        throw SystemError("reading from " + peer_, errno);
      }
      if (n == 0)
        throw Error(peer_ + " closed the connection (waiting for the reply to " +
                    std::string(what) + ")");
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void wait_for(short events, std::string_view what) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0)
        throw Error("timed out talking to " + peer_ + " (" + std::string(what) + ")");
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
      if (r < 0 && errno != EINTR) throw SystemError("poll", errno);
      if (r > 0) return;
    }
  }

  int fd_;
  std::string peer_;
  Clock::time_point deadline_;
  std::string buffer_;
};

std::string local_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) < 0 || !is_domain(buf)) return "localhost";
  return buf;
}

// Lines of data, dot-stuffed, then the end marker.  message ends in CRLF.
std::string dot_stuff(std::string_view message) {
  std::string out;
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  out += ".\r\n";
  return out;
}

// The whole transaction for one message on a connected socket.
void converse(int fd, const std::string& peer, Clock::time_point deadline, const std::string& from,
              const std::string& to, const std::string& data) {
  SmtpConversation smtp(fd, peer, deadline);
  smtp.exchange("", {220}, "the greeting");
  const std::string me = local_host_name();
  SmtpConversation::Reply ehlo;
  smtp.send("EHLO " + me + "\r\n");
  ehlo = smtp.read_reply("EHLO");
  if (ehlo.code != 250) smtp.exchange("HELO " + me, {250}, "HELO");
  smtp.exchange("MAIL FROM:<" + from + ">", {250}, "MAIL FROM:<" + from + ">");
  smtp.exchange("RCPT TO:<" + to + ">", {250, 251}, "RCPT TO:<" + to + ">");
  smtp.exchange("DATA", {354}, "DATA");
  smtp.send(dot_stuff(data));
  smtp.exchange("", {250}, "the message");
  // The message is accepted: it will be delivered whatever happens next, so
  // a server that closes without answering QUIT does not make it a failure.
  try {
    smtp.exchange("QUIT", {221}, "QUIT");
  } catch (const Error&) {
  }
}

Fd connect_tcp(const SmtpServer& server, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(server.host.c_str(), server.port.c_str(), &hints, &res);
  if (rc != 0) throw Error("cannot resolve SMTP server " + server.host + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(res, ::freeaddrinfo);
  std::string why = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        why = "timed out";
        break;
      }
      pollfd p{fd.get(), POLLOUT, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        why = r < 0 ? std::strerror(errno) : "timed out";
        break;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) return fd;
      why = std::strerror(err);
      break;
    }
  }
  throw Error("cannot connect to SMTP server " + server.host + " port " + server.port + ": " + why);
}

// Waits (until deadline) for pid to exit; kills it if it does not.
// Returns its wait status.
int wait_child(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  Fd pidfd(open_pidfd(pid));
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) throw SystemError("waitpid", errno);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      // Out of time: it is not going to deliver anything now.
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    if (pidfd) {
      pollfd p{pidfd.get(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
    } else {
      // No pidfd (a kernel before 5.3): look again shortly.
      ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 10)));
    }
  }
}

void send_with_sendmail(const std::string& sendmail, Clock::time_point deadline,
                        const std::string& from, const std::string& to, const std::string& data) {
  // Checked first so that the error says so, rather than that sendmail
  // hung up before its greeting.
  if (::access(sendmail.c_str(), X_OK) < 0)
    throw SystemError("cannot run sendmail " + sendmail, errno);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  Fd ours(sv[0]), theirs(sv[1]);
  SpawnOptions options;
  options.argv = {sendmail, "-bs"};
  options.stdin_fd = theirs.get();
  options.stdout_fd = theirs.get();
  Spawned child = spawn(options);
  theirs.reset();
  std::string failure;
  try {
    converse(ours.get(), "sendmail " + sendmail, deadline, from, to, data);
  } catch (const Error& e) {
    failure = e.what();
  }
  ours.reset(); // sendmail sees end of input, if it is still reading
  // After a failure, a few seconds for it to go: long enough to learn its
  // exit status, short enough not to wait on one that hangs.
  int status = wait_child(
      child.pid, failure.empty() ? deadline : std::min(deadline, Clock::now() + kSendmailGrace));
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!failure.empty())
    throw Error(failure + (clean ? "" : " (sendmail " + describe_wait_status(status) + ")"));
  if (!clean) throw Error("sendmail " + sendmail + " " + describe_wait_status(status));
}

// The domain of an address checked by check_mail_address.
std::string_view domain_of(std::string_view address) {
  return address.substr(address.rfind('@') + 1);
}

} // namespace

void check_mail_address(std::string_view address, std::string_view what) {
  auto at = address.rfind('@');
  bool ok = address.size() <= 254 && at != std::string_view::npos &&
            is_dot_atom(address.substr(0, at)) && is_domain(address.substr(at + 1));
  if (!ok)
    throw Error(std::string(what) + " is not a usable email address: '" + printable(address) + "'");
}

std::string mail_date(std::chrono::system_clock::time_point when) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t i = 0;
  while (i <= text.size()) {
    // One input line.
    std::size_t end = text.find_first_of("\r\n", i);
    bool last = end == std::string_view::npos;
    std::string_view line = text.substr(i, last ? std::string_view::npos : end - i);
    std::size_t column = 0;
    for (std::size_t j = 0; j < line.size(); ++j) {
      auto c = static_cast<unsigned char>(line[j]);
      bool at_end = j + 1 == line.size();
      std::string token;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
        token = static_cast<char>(c);
      } else {
        token = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      // A soft line break ("=") keeps every line within 76 characters.
      if (column + token.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
    if (last) break;
    out += "\r\n";
    i = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    if (i == text.size()) break;
  }
  return out;
}

std::string encode_header_text(std::string_view text, std::size_t header_length) {
  bool plain = header_length + text.size() <= 78 &&
               std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  // "=?" could be read as the start of an encoded word: encode that too.
  if (plain && text.find("=?") == std::string_view::npos) return std::string(text);
  // One encoded word per folded line, each line within RFC 2047's 76
  // characters (the word costs 12 characters of wrapping, and 4 base64
  // characters per 3 bytes), split between UTF-8 characters.
  std::string out;
  std::size_t i = 0, prefix = std::min<std::size_t>(header_length, 40);
  while (i < text.size()) {
    const std::size_t most = (76 - prefix - 12) / 4 * 3;
    std::size_t n = std::min(most, text.size() - i);
    while (i + n < text.size() && n > 0 && (static_cast<unsigned char>(text[i + n]) & 0xc0) == 0x80)
      --n;
    if (n == 0) n = std::min(most, text.size() - i);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(i, n)) + "?=";
    i += n;
    prefix = 1;
  }
  return out;
}

std::string compose_mail(std::string_view from, const MailMessage& message,
                         std::chrono::system_clock::time_point date, std::string_view message_id) {
  check_mail_address(from, "the sender (mail_sender)");
  check_mail_address(message.to, "the recipient");
  if (has_control(message.subject))
    throw Error("a mail subject may not contain a line break or another control character");
  if (!valid_utf8(message.subject)) throw Error("the mail subject is not valid UTF-8");
  if (!valid_utf8(message.body)) throw Error("the mail body is not valid UTF-8");
  if (message_id.empty() || has_control(message_id) ||
      message_id.find_first_of(" <>") != std::string_view::npos)
    throw Error("bad Message-ID");
  std::string out;
  out += "From: " + std::string(from) + "\r\n";
  out += "To: " + message.to + "\r\n";
  out += "Subject: " + encode_header_text(message.subject, 9) + "\r\n";
  out += "Date: " + mail_date(date) + "\r\n";
  out += "Message-ID: <" + std::string(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  // RFC 3834: tells autoresponders not to answer.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += quoted_printable(message.body);
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

SmtpServer parse_smtp_server(std::string_view value) {
  SmtpServer s;
  if (value.starts_with('[')) {
    auto close = value.find(']');
    if (close == std::string_view::npos) throw Error("smtp_server: missing ']'");
    s.host = value.substr(1, close - 1);
    std::string_view rest = value.substr(close + 1);
    if (rest.starts_with(':') && rest.size() > 1)
      s.port = rest.substr(1);
    else if (!rest.empty())
      throw Error("smtp_server: expected :PORT after ']'");
  } else if (auto colon = value.find(':'); colon != std::string_view::npos &&
                                           value.find(':', colon + 1) == std::string_view::npos) {
    s.host = value.substr(0, colon);
    s.port = value.substr(colon + 1);
  } else {
    s.host = value;
  }
  if (s.host.empty() || s.port.empty()) throw Error("smtp_server: empty host or port");
  return s;
}

void send_mail(const Config& config, const MailMessage& message,
               std::chrono::milliseconds timeout) {
  if (config.mail_sender.empty()) throw Error("cannot send mail: mail_sender is not set");
  check_mail_address(config.mail_sender, "mail_sender");
  // getrandom() rather than the crypto library: this may run in a child
  // that has closed descriptors the library could be holding.
  unsigned char nonce[16];
  if (::getrandom(nonce, sizeof nonce, 0) != sizeof nonce) throw_errno("getrandom");
  const std::string message_id =
      to_hex(std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce)) + "@" +
      std::string(domain_of(config.mail_sender));
  const std::string data =
      compose_mail(config.mail_sender, message, std::chrono::system_clock::now(), message_id);
  const auto deadline = Clock::now() + timeout;
  if (!config.sendmail.empty()) {
    send_with_sendmail(config.sendmail, deadline, config.mail_sender, message.to, data);
    return;
  }
  const SmtpServer server = parse_smtp_server(config.smtp_server);
  Fd fd = connect_tcp(server, deadline);
  converse(fd.get(), "SMTP server " + server.host + " port " + server.port, deadline,
           config.mail_sender, message.to, data);
}

void send_mail_async(EventLoop& loop, const Config& config, MailMessage message,
                     std::function<void(std::optional<std::string> error)> done) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
  Fd result_read(p[0]), result_write(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The child: nothing of the parent's loop, signal handling or
    // descriptors is wanted here, only the result pipe on fd 3.
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP})
      ::signal(sig, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (result_write.get() != 3) ::dup2(result_write.get(), 3);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    ::close_range(4, ~0U, 0);
    std::string error;
    try {
      send_mail(config, message);
    } catch (const std::exception& e) {
      error = *e.what() ? e.what() : "mail failed";
    } catch (...) {
      error = "mail failed";
    }
    if (error.size() > 4000) error.resize(4000); // within a pipe's buffer
    (void)!::write(3, error.data(), error.size());
    ::_exit(error.empty() ? 0 : 1);
  }
  result_write.reset();
  // Readable when the child has exited; without pidfds (before Linux 5.3),
  // the result pipe's end of file says nearly the same.
  Fd pidfd(open_pidfd(pid));
  const bool have_pidfd = static_cast<bool>(pidfd);
  struct Pending {
    Fd result, pidfd;
    std::unique_ptr<Event> exited;
    EventLoop::KeptId id = 0;
  };
  auto pending = std::make_shared<Pending>();
  pending->result = std::move(result_read);
  pending->pidfd = std::move(pidfd);
  const int watched = have_pidfd ? pending->pidfd.get() : pending->result.get();
  Pending* raw = pending.get();
  raw->exited = Event::io(
      loop, watched, EV_READ, [&loop, raw, pid, have_pidfd, done = std::move(done)](short) mutable {
        int status = 0;
        pid_t r;
        do
          r = ::waitpid(pid, &status, have_pidfd ? WNOHANG : 0);
        while (r < 0 && errno == EINTR);
        if (r == 0) { // woken early: wait for the exit
          raw->exited->add();
          return;
        }
        std::string text;
        char buf[4096];
        ssize_t n;
        set_nonblocking(raw->result.get());
        while ((n = ::read(raw->result.get(), buf, sizeof buf)) > 0)
          text.append(buf, static_cast<std::size_t>(n));
        std::optional<std::string> error;
        if (!text.empty())
          error = printable(text, 4000);
        else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
          error = "the mail process " + describe_wait_status(status);
        // Freed outside its own callback.
        loop.defer([&loop, id = raw->id, done = std::move(done), error = std::move(error)] {
          loop.forget(id);
          if (done) done(error);
        });
      });
  raw->exited->add();
  raw->id = loop.keep(std::move(pending));
}

} // namespace disorder
