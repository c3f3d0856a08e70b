// The message framing of disorder_protocol(5), shared by the client and the
// server: response lines ("NNN text"), dot-stuffed bodies, and splitting a
// byte stream into lines.  Pure functions and small state machines with no
// I/O, so they can be unit-tested and fuzzed on their own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// The longest line either side accepts.  Real lines are short (a queue entry
// is a few hundred bytes); the limit keeps a broken or hostile peer from
// making us buffer without end.
inline constexpr std::size_t max_line_length = 1024 * 1024;

// One response line: a three-digit status code and the rest of the line.
struct Response {
  int code = 0;
  std::string text;

  // 2xx: the command succeeded.
  bool ok() const noexcept { return code / 100 == 2; }
  // xx3: a dot-stuffed body follows the line.
  bool has_body() const noexcept { return code % 10 == 3; }
  // xx4: a body follows that never ends (the event log).
  bool has_endless_body() const noexcept { return code % 10 == 4; }
  // The text split into fields (for xx1/xx2 replies and the greeting).
  // Throws SyntaxError if the text is not valid field syntax.
  std::vector<std::string> fields() const;
};

// Parse a response line, without its line feed: three ASCII digits, then
// either the end of the line or one space and the text.  Throws SyntaxError
// for anything else.
Response parse_response(std::string_view line);

// The wire form of a response line, with its line feed.  `text` must not
// contain a line feed (throws SyntaxError); code must be 100..999.
std::string format_response(int code, std::string_view text);

// Encode lines as a body: each line followed by a line feed, a '.' doubled
// at the start of any line that begins with one, and the terminating ".\n".
// Throws SyntaxError if a line contains a line feed, which a body cannot
// carry.
std::string dot_stuff(const std::vector<std::string>& lines);

// Undo dot-stuffing for one received body line (without its line feed).
// Returns nullopt for the terminator ".", otherwise the line with one
// leading '.' removed if it has one.  A line such as ".x", which a correct
// sender would have stuffed as "..x", is accepted as "x", as SMTP does: the
// intent is unambiguous and rejecting it would gain nothing.
std::optional<std::string_view> unstuff_line(std::string_view line);

// Collects the lines of one body, fed one received line at a time.
class BodyDecoder {
public:
  // Feed the next line (without its line feed).  Returns true when that
  // line was the terminator, after which the body is complete.  Throws
  // Error if called again after completion (a caller bug).
  bool add_line(std::string_view line);
  bool complete() const noexcept { return complete_; }
  const std::vector<std::string>& lines() const noexcept { return lines_; }
  // Hand over the decoded lines and start a new, empty body.
  std::vector<std::string> take_lines();

private:
  std::vector<std::string> lines_;
  bool complete_ = false;
};

// Splits a byte stream into lines at line feeds.  Feed it whatever read()
// returned; take complete lines out.  Bytes after the last line feed stay
// buffered until more arrive.
class LineReader {
public:
  explicit LineReader(std::size_t max_line = max_line_length) : max_line_(max_line) {}

  // Throws ProtocolError if the buffered incomplete line grows beyond the
  // limit (no line feed in sight).
  void append(std::string_view bytes);
  // The next complete line without its line feed, or nullopt.
  std::optional<std::string> next_line();
  // True if bytes of an incomplete line are buffered; at end of input that
  // means the peer stopped mid-line.
  bool has_partial() const noexcept { return start_ < buffer_.size(); }

private:
  std::string buffer_;
  std::size_t start_ = 0; // where the first unconsumed line begins
  std::size_t scan_ = 0;  // no line feed in [start_, scan_)
  std::size_t max_line_;
};

} // namespace disorder
