// Response lines, dot-stuffed bodies and line splitting (protocol.hpp).
#include "protocol.hpp"

#include "error.hpp"
#include "split.hpp"

#include <utility>

namespace disorder {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

std::vector<std::string> Response::fields() const {
  return split_fields(text);
}

Response parse_response(std::string_view line) {
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
    throw SyntaxError("response does not start with a three-digit status code");
  if (line[0] == '0') throw SyntaxError("response status code starts with 0");
  if (line.size() > 3 && line[3] != ' ')
    throw SyntaxError("response status code is not followed by a space");
  Response r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() > 4) r.text.assign(line.substr(4));
  return r;
}

std::string format_response(int code, std::string_view text) {
  if (code < 100 || code > 999) throw SyntaxError("response code out of range");
  if (text.find('\n') != std::string_view::npos)
    throw SyntaxError("response text contains a line feed");
  std::string out = std::to_string(code);
  out += ' ';
  out += text;
  out += '\n';
  return out;
}

std::string dot_stuff(const std::vector<std::string>& lines) {
  std::size_t size = 2;
  for (const auto& l : lines)
    size += l.size() + 2;
  std::string out;
  out.reserve(size);
  for (const auto& l : lines) {
    if (l.find('\n') != std::string::npos) throw SyntaxError("body line contains a line feed");
    if (!l.empty() && l[0] == '.') out += '.';
    out += l;
    out += '\n';
  }
  out += ".\n";
  return out;
}

std::optional<std::string_view> unstuff_line(std::string_view line) {
  if (line == ".") return std::nullopt;
  if (!line.empty() && line[0] == '.') line.remove_prefix(1);
  return line;
}

bool BodyDecoder::add_line(std::string_view line) {
  if (complete_) throw Error("BodyDecoder: line added after the terminator");
  auto content = unstuff_line(line);
  if (!content) {
    complete_ = true;
    return true;
  }
  lines_.emplace_back(*content);
  return false;
}

std::vector<std::string> BodyDecoder::take_lines() {
  complete_ = false;
  return std::exchange(lines_, {});
}

void LineReader::append(std::string_view bytes) {
  // Drop consumed lines first so the buffer only ever holds what is pending.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
  if (buffer_.find('\n', scan_) == std::string::npos && buffer_.size() > max_line_)
    throw ProtocolError("line longer than " + std::to_string(max_line_) + " bytes");
}

std::optional<std::string> LineReader::next_line() {
  auto nl = buffer_.find('\n', scan_);
  if (nl == std::string::npos) {
    scan_ = buffer_.size();
    return std::nullopt;
  }
  if (nl - start_ > max_line_)
    throw ProtocolError("line longer than " + std::to_string(max_line_) + " bytes");
  std::string line = buffer_.substr(start_, nl - start_);
  start_ = scan_ = nl + 1;
  return line;
}

} // namespace disorder
