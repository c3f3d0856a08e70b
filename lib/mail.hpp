// Sending mail: a plain-text UTF-8 message whose headers cannot be forged by
// what goes into them, handed to an SMTP server, either `sendmail -bs` run as
// a child (config item sendmail) or smtp_server over TCP.  disorderd's
// password reminders and disorder-web's registration mails go out this way.
#pragma once

#include "config.hpp"
#include "event_loop.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace disorder {

struct MailMessage {
  std::string to, subject, body;
};

// How long one mail may take, from the start of the conversation to the
// server's acceptance of the message (and sendmail's exit).
inline constexpr std::chrono::seconds kMailTimeout{60};

// Throws Error unless address is usable both in the envelope and in a
// header: a plain local@domain of printable ASCII, without spaces, angle
// brackets, quotes or comments.  `what` names it in the message ("mail_sender").
void check_mail_address(std::string_view address, std::string_view what);

// The message as it goes into SMTP's DATA (before dot-stuffing): headers
// From, To, Subject (RFC 2047 encoded words when it is not short plain
// ASCII), Date, Message-ID (given without angle brackets), MIME-Version,
// Content-Type text/plain UTF-8, quoted-printable body, CRLF line ends.
// Throws Error for an unusable address, a subject holding a control
// character (a line break would start a forged header) or invalid UTF-8,
// and a body that is not UTF-8.
std::string compose_mail(std::string_view from, const MailMessage& message,
                         std::chrono::system_clock::time_point date, std::string_view message_id);

// The pieces of compose_mail, for tests.
// RFC 5322 date-time in UTC: "Wed, 02 Dec 2026 05:38:08 +0000".
std::string mail_date(std::chrono::system_clock::time_point when);
// Quoted-printable (RFC 2045) of text whose lines end in LF, CRLF or CR;
// lines at most 76 characters, CRLF line ends.
std::string quoted_printable(std::string_view text);
// The value of an unstructured header (after "Name: "), encoded per
// RFC 2047 and folded when it is not short printable ASCII.  header_length is
// the length of "Name: ", for the first line's budget.
std::string encode_header_text(std::string_view text, std::size_t header_length);

// Where smtp_server points.  Accepts HOST, HOST:PORT, [IPV6] and [IPV6]:PORT
// (and a bare IPv6 address); the port defaults to 25.
struct SmtpServer {
  std::string host;
  std::string port = "25";
};
SmtpServer parse_smtp_server(std::string_view value);

// Sends message from config.mail_sender: through `config.sendmail -bs`
// when sendmail is set, else over TCP to config.smtp_server.  Blocking,
// for at most about `timeout` (after which a sendmail is killed).  Throws
// Error saying what failed (an unusable address, no mail_sender, the
// server's refusal with its reply, sendmail's exit status, a timeout).
void send_mail(const Config& config, const MailMessage& message,
               std::chrono::milliseconds timeout = kMailTimeout);

// Never blocks the loop: runs send_mail in a child process and calls done
// on the loop with nullopt on success or the error text.  The child is
// reaped (through a pidfd, so a process's own SIGCHLD handling is not
// involved).  If the loop is destroyed first, the child still finishes its
// mail and done is not called.  Call it only from a single-threaded
// process: the child runs ordinary code after fork().
void send_mail_async(EventLoop& loop, const Config& config, MailMessage message,
                     std::function<void(std::optional<std::string> error)> done);

} // namespace disorder
