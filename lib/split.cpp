// Field splitting and quoting for protocol and configuration lines.
#include "split.hpp"

#include "error.hpp"

namespace disorder {

namespace {

bool is_config_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string describe(char c) {
  static const char hex[] = "0123456789abcdef";
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

} // namespace

std::vector<std::string> split_fields(std::string_view line, SplitMode mode) {
  const bool config = mode == SplitMode::config;
  auto is_sep = [config](char c) { return config ? is_config_space(c) : c == ' '; };
  std::vector<std::string> fields;
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && is_sep(line[i]))
      ++i;
    if (i >= n) break;
    char c = line[i];
    if (config && c == '#') break;
    std::string field;
    if (c == '"' || c == '\'') {
      const char q = c;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = line[i++];
        if (d == q) {
          closed = true;
          break;
        }
        if (d == '\\') {
          if (i >= n) throw SyntaxError("unterminated quoted string");
          char e = line[i++];
          switch (e) {
          case '\\':
            field += '\\';
            break;
          case '"':
            field += '"';
            break;
          case '\'':
            field += '\'';
            break;
          case 'n':
            field += '\n';
            break;
          default:
            throw SyntaxError("invalid escape sequence \\" + std::string(1, e));
          }
        } else {
          // Raw control characters are tolerated inside quotes (only the
          // line feed has an escape), so any field quote_field() makes
          // comes back unchanged.
          field += d;
        }
      }
      if (!closed) throw SyntaxError("unterminated quoted string");
      if (i < n && !is_sep(line[i]) && !(config && line[i] == '#'))
        throw SyntaxError("missing space after quoted string");
    } else {
      while (i < n && !is_sep(line[i])) {
        char d = line[i];
        if (config && d == '#') break;
        if (!config) {
          if (d == '"' || d == '\'') throw SyntaxError("quote character inside an unquoted field");
          if (is_control(d)) throw SyntaxError("control character " + describe(d) + " in field");
        }
        field += d;
        ++i;
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

std::string quote_field(std::string_view field) {
  bool bare = !field.empty();
  for (char c : field) {
    if (c == ' ' || c == '"' || c == '\'' || c == '\\' || c == '#' || is_control(c)) {
      bare = false;
      break;
    }
  }
  if (bare) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\n':
      out += "\\n";
      break;
    default:
      out += c;
      break;
    }
  }
  out += '"';
  return out;
}

void append_field(std::string& out, std::string_view field) {
  if (!out.empty()) out += ' ';
  out += quote_field(field);
}

std::string quote_fields(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields)
    append_field(out, f);
  return out;
}

} // namespace disorder
