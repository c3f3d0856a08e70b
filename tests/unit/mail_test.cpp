// Unit tests for composing mail (headers, encodings, refusal of header
// injection) and for the asynchronous sender's error path.
#include "mail.hpp"

#include "error.hpp"
#include "event_loop.hpp"
#include "fd.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace disorder;

namespace {

const auto kDate = std::chrono::system_clock::from_time_t(1796189888); // Wed, 02 Dec 2026 05:38:08

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto e = s.find("\r\n", i);
    EXPECT_NE(e, std::string::npos) << "every line ends in CRLF";
    if (e == std::string::npos) break;
    out.push_back(s.substr(i, e - i));
    i = e + 2;
  }
  return out;
}

int unhex(char c) {
  return c <= '9' ? c - '0' : c - 'A' + 10;
}

// Decodes quoted-printable as a mail reader would.
std::string qp_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && s.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (s[i] == '=') {
      out += static_cast<char>(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string b64_decode(const std::string& s) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    v = v << 6 | static_cast<unsigned>(digits.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(v >> bits & 0xff);
    }
  }
  return out;
}

// The subject as a reader decodes it: unfolded, encoded words joined.
std::string decode_subject(const std::string& header_value) {
  std::string out, rest = header_value;
  for (;;) {
    auto start = rest.find("=?UTF-8?B?");
    if (start == std::string::npos) return out + rest;
    auto end = rest.find("?=", start + 10);
    out += b64_decode(rest.substr(start + 10, end - start - 10));
    rest = rest.substr(end + 2);
    if (rest.starts_with("\r\n ")) rest = rest.substr(3);
  }
}

MailMessage message(std::string to, std::string subject, std::string body) {
  return MailMessage{std::move(to), std::move(subject), std::move(body)};
}

} // namespace

TEST(Mail, ComposesHeadersAndBody) {
  std::string m = compose_mail("jukebox@example.org",
                               message("fred@example.com", "Your password", "Hello\nworld.\n"),
                               kDate, "abc123@example.org");
  auto lines = lines_of(m);
  std::vector<std::string> expected{"From: jukebox@example.org",
                                    "To: fred@example.com",
                                    "Subject: Your password",
                                    "Date: Wed, 02 Dec 2026 05:38:08 +0000",
                                    "Message-ID: <abc123@example.org>",
                                    "MIME-Version: 1.0",
                                    "Content-Type: text/plain; charset=UTF-8",
                                    "Content-Transfer-Encoding: quoted-printable",
                                    "Auto-Submitted: auto-generated",
                                    "",
                                    "Hello",
                                    "world."};
  EXPECT_EQ(lines, expected);
}

TEST(Mail, RefusesControlCharactersInTheSubject) {
  for (const std::string& subject : std::vector<std::string>{
           "Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@y", "Hi\rthere", std::string("a\0b", 3),
           "tab\there", "bell\a", "del\x7f", "c1 \xc2\x85 next line"}) {
    EXPECT_THROW(
        compose_mail("a@example.org", message("b@example.org", subject, "x"), kDate, "i@d"), Error)
        << subject;
  }
}

TEST(Mail, RefusesUnusableAddresses) {
  for (const std::string& to : std::vector<std::string>{
           "b@example.org\r\nBcc: victim@example.com", "b@example.org\n", "<b@example.org>",
           "b@example.org>", "Fred <b@example.org>", "b c@example.org", "no-at-sign",
           "@example.org", "b@", "b@exa mple.org", "b@example.org,c@example.org",
           "\"b\"@example.org", "b..c@example.org", "b@example..org", "b@[127.0.0.1]",
           "b@example.org (comment)", ""}) {
    EXPECT_THROW(compose_mail("a@example.org", message(to, "s", "x"), kDate, "i@d"), Error) << to;
    EXPECT_THROW(compose_mail(to, message("a@example.org", "s", "x"), kDate, "i@d"), Error) << to;
  }
  EXPECT_NO_THROW(compose_mail(
      "a@example.org", message("first.last+tag@mail.example-1.org", "s", "x"), kDate, "i@d"));
}

TEST(Mail, RefusesInvalidUtf8) {
  EXPECT_THROW(
      compose_mail("a@example.org", message("b@example.org", "bad \xff", "x"), kDate, "i@d"),
      Error);
  EXPECT_THROW(
      compose_mail("a@example.org", message("b@example.org", "s", "bad \xc3"), kDate, "i@d"),
      Error);
}

TEST(Mail, EncodesNonAsciiSubjectsPerRfc2047) {
  const std::string subject = "Rappel de mot de passe — Ünïcödé ♫ jukebox";
  std::string m =
      compose_mail("a@example.org", message("b@example.org", subject, "x"), kDate, "i@d");
  auto start = m.find("Subject: ") + 9;
  auto end = m.find("\r\nDate: ");
  std::string value = m.substr(start, end - start);
  EXPECT_TRUE(value.starts_with("=?UTF-8?B?")) << value;
  EXPECT_EQ(decode_subject(value), subject);
  for (char c : value)
    EXPECT_TRUE(c == '\r' || c == '\n' || (c >= 0x20 && c < 0x7f)) << value;
}

TEST(Mail, FoldsLongSubjectsWithinLineLimits) {
  std::string subject;
  for (int i = 0; i < 40; ++i)
    subject += "é word ";
  std::string value = encode_header_text(subject, 9);
  EXPECT_EQ(decode_subject(value), subject);
  std::size_t first = 9;
  for (const auto& line : lines_of(value + "\r\n")) {
    EXPECT_LE(first + line.size(), 76u) << line;
    first = 0;
  }
  // Split only between characters: each word decodes to valid UTF-8 alone.
  EXPECT_NE(value.find("\r\n "), std::string::npos);
}

TEST(Mail, PlainSubjectsThatLookEncodedAreEncoded) {
  std::string value = encode_header_text("=?UTF-8?B?Zm9v?=", 9);
  EXPECT_NE(value, "=?UTF-8?B?Zm9v?=");
  EXPECT_EQ(decode_subject(value), "=?UTF-8?B?Zm9v?=");
}

TEST(Mail, QuotedPrintableBody) {
  const std::string body = "caf\xc3\xa9 = 2 \n" + std::string(200, 'x') + "\r\n.dot\rend";
  std::string qp = quoted_printable(body);
  for (const auto& line : lines_of(qp + "\r\n")) {
    EXPECT_LE(line.size(), 76u);
    for (char c : line)
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
    EXPECT_FALSE(line.ends_with(" ")) << "trailing space is encoded";
  }
  EXPECT_EQ(qp_decode(qp), "caf\xc3\xa9 = 2 \r\n" + std::string(200, 'x') + "\r\n.dot\r\nend");
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
  EXPECT_EQ(quoted_printable("end \n"), "end=20\r\n");
}

TEST(Mail, DateIsRfc5322InUtc) {
  EXPECT_EQ(mail_date(std::chrono::system_clock::from_time_t(0)),
            "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(mail_date(kDate), "Wed, 02 Dec 2026 05:38:08 +0000");
}

TEST(Mail, SmtpServerWithOptionalPort) {
  auto s = parse_smtp_server("mail.example.org");
  EXPECT_EQ(s.host, "mail.example.org");
  EXPECT_EQ(s.port, "25");
  s = parse_smtp_server("127.0.0.1:2525");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, "2525");
  s = parse_smtp_server("[::1]:2525");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, "2525");
  s = parse_smtp_server("::1");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, "25");
  EXPECT_THROW(parse_smtp_server("[::1"), Error);
  EXPECT_THROW(parse_smtp_server("host:"), Error);
}

TEST(Mail, SendRefusesWithoutSender) {
  Config config;
  EXPECT_THROW(send_mail(config, message("b@example.org", "s", "x")), Error);
}

TEST(Mail, AsyncReportsAMissingSendmailOnTheLoop) {
  EventLoop loop;
  Config config;
  config.mail_sender = "jukebox@example.org";
  config.sendmail = "/nonexistent/sendmail";
  std::optional<std::optional<std::string>> result;
  send_mail_async(loop, config, message("b@example.org", "s", "x"),
                  [&](std::optional<std::string> error) { result = std::move(error); });
  EXPECT_FALSE(result) << "done runs later, on the loop";
  loop.run();
  ASSERT_TRUE(result);
  ASSERT_TRUE(*result);
  EXPECT_NE((*result)->find("/nonexistent/sendmail"), std::string::npos) << **result;
}

TEST(Mail, AsyncReportsARefusalOnTheLoop) {
  // A sendmail that refuses the recipient, written as a shell script.
  char dir[] = "/tmp/mailtestXXXXXX";
  ASSERT_TRUE(::mkdtemp(dir));
  const std::string script = std::string(dir) + "/sendmail";
  {
    FILE* f = std::fopen(script.c_str(), "w");
    ASSERT_TRUE(f);
    std::fputs("#!/bin/sh\n"
               "echo '220 test'\n"
               "while read -r line; do\n"
               "  case \"$line\" in\n"
               "    EHLO*) printf '250-test\\r\\n250 8BITMIME\\r\\n' ;;\n"
               "    MAIL*) echo '250 ok' ;;\n"
               "    RCPT*) echo '550 no such mailbox here' ;;\n"
               "    QUIT*) echo '221 bye'; exit 0 ;;\n"
               "    *) echo '500 what' ;;\n"
               "  esac\n"
               "done\n",
               f);
    std::fclose(f);
  }
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  EventLoop loop;
  Config config;
  config.mail_sender = "jukebox@example.org";
  config.sendmail = script;
  std::optional<std::optional<std::string>> result;
  send_mail_async(loop, config, message("b@example.org", "s", "x"),
                  [&](std::optional<std::string> error) { result = std::move(error); });
  loop.run();
  std::remove(script.c_str());
  ::rmdir(dir);
  ASSERT_TRUE(result && *result);
  EXPECT_NE((*result)->find("550 no such mailbox here"), std::string::npos) << **result;
  EXPECT_NE((*result)->find("RCPT TO:<b@example.org>"), std::string::npos) << **result;
}

namespace {
// A file in a fresh directory, executable, holding `text`; removed with it.
class ScratchScript {
public:
  explicit ScratchScript(const std::string& text) {
    char dir[] = "/tmp/mailtestXXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    dir_ = dir;
    path_ = dir_ + "/sendmail";
    FILE* f = std::fopen(path_.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    ::chmod(path_.c_str(), 0755);
  }
  ~ScratchScript() {
    std::remove(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

private:
  std::string dir_, path_;
};

std::string error_of(const Config& config, std::chrono::milliseconds timeout) {
  try {
    send_mail(config, message("b@example.org", "s", "x"), timeout);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST(Mail, ASendmailThatHangsIsKilledAtTheTimeout) {
  ScratchScript hang("#!/bin/sh\nexec sleep 30\n");
  Config config;
  config.mail_sender = "jukebox@example.org";
  config.sendmail = hang.path();
  auto start = std::chrono::steady_clock::now();
  std::string error = error_of(config, std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(error.find("timed out talking to sendmail"), std::string::npos) << error;
  EXPECT_NE(error.find("killed by signal 9"), std::string::npos) << error;
}

TEST(Mail, AnSmtpServerThatNeverGreetsTimesOut) {
  // A listening socket nobody accepts from: the kernel completes the
  // connection, and no greeting ever comes.
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  Config config;
  config.mail_sender = "jukebox@example.org";
  config.smtp_server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::string error = error_of(config, std::chrono::milliseconds(300));
  EXPECT_EQ(error, "timed out talking to SMTP server 127.0.0.1 port " +
                       std::to_string(ntohs(addr.sin_port)) + " (the greeting)");
}

TEST(Mail, NoSmtpServerListening) {
  Fd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  Config config;
  config.mail_sender = "jukebox@example.org";
  config.smtp_server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)); // bound, not listening
  std::string error = error_of(config, std::chrono::seconds(10));
  EXPECT_NE(error.find("cannot connect to SMTP server 127.0.0.1 port"), std::string::npos) << error;
  EXPECT_NE(error.find("Connection refused"), std::string::npos) << error;
}
