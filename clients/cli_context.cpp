// The state CLI handlers share: the lazily made connection and the usual
// ways of printing a reply, in the chosen output format.
#include "cli.hpp"

#include "split.hpp"
#include "utf8.hpp"

#include <cstdio>

namespace disorder::cli {

Client& Context::client() {
  if (!client_) client_.emplace(Client::connect(config_, trace_));
  return *client_;
}

namespace {

// What a bare "not found" refers to, from the command that drew it: the
// server's wording is DisOrder's, which names nothing, and disorder(1)
// knows what it asked for.  Empty when the reply says enough already.
std::string missing_thing(const std::vector<std::string>& f, std::string_view text) {
  auto q = [&f](std::size_t i) { return i < f.size() ? "'" + f[i] + "'" : std::string("''"); };
  const std::string& name = f.front();
  if (text == "No such user") return name == "userinfo" ? q(1) : "";
  if (text != "not found" && text != "Not found") return "";
  if (name == "get") return "preference " + q(2) + " of track " + q(1);
  if (name == "get-global" || name == "unset-global") return "global preference " + q(1);
  if (name == "length") return "track " + q(1);
  if (name == "userinfo") return "property " + q(2) + " of user " + q(1);
  std::string what;
  for (std::size_t i = 1; i < f.size(); ++i)
    what += (i > 1 ? " " : "") + q(i);
  return what;
}

} // namespace

Reply Context::run(const std::vector<std::string>& fields) {
  try {
    return client().command(fields);
  } catch (const CommandError& e) {
    const std::string thing = missing_thing(fields, e.text());
    if (thing.empty()) throw;
    throw CommandError(e.code(), e.text() + ": " + thing);
  }
}

void Context::print_value(const std::vector<std::string>& fields) {
  std::string value = run(fields).value();
  out_ << (json() ? json_string(value) : value) << '\n';
}

void Context::print_yes_no(const std::vector<std::string>& fields) {
  std::string value = run(fields).value();
  if (!json()) {
    out_ << value << '\n';
    return;
  }
  if (value != "yes" && value != "no")
    throw ProtocolError("malformed reply from server: '" + value + "' is not yes or no");
  out_ << (value == "yes" ? "true" : "false") << '\n';
}

void Context::print_body(const std::vector<std::string>& fields) {
  print_list(run(fields).body);
}

void Context::print_list(const std::vector<std::string>& items) {
  if (!json()) {
    for (const auto& item : items)
      out_ << item << '\n';
    return;
  }
  std::string line = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    line += (i ? ", " : "") + json_string(items[i]);
  out_ << line << "]\n";
}

std::vector<std::string> fields(std::string_view name, Args args) {
  std::vector<std::string> f{std::string(name)};
  f.insert(f.end(), args.begin(), args.end());
  return f;
}

std::string json_string(std::string_view s) {
  if (!valid_utf8(s))
    throw ProtocolError("the server sent text that is not UTF-8, which JSON cannot carry");
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch; // UTF-8 passes through: JSON text is UTF-8
      }
    }
  }
  return out + "\"";
}

std::vector<std::string> reply_fields(std::string_view line) {
  try {
    return split_fields(line);
  } catch (const SyntaxError& e) {
    throw ProtocolError(std::string("malformed reply from server: ") + e.what());
  }
}

} // namespace disorder::cli
