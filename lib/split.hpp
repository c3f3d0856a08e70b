// The field syntax shared by the client protocol and the configuration file:
// fields separated by whitespace, unquoted or quoted with " or ', and the
// escapes \\ \" \' \n inside quotes (disorder_protocol(5), disorder_config(5)).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace disorder {

enum class SplitMode {
  // Protocol lines: fields separated by spaces; control characters and quote
  // characters inside unquoted fields are errors.
  protocol,
  // Configuration lines: any whitespace separates fields, '#' outside quotes
  // starts a comment, quotes inside an unquoted field stand for themselves.
  config,
};

// Split a line into fields.  Throws SyntaxError with a short description
// ("unterminated quoted string", "invalid escape sequence \x", ...) on
// malformed input.  Never reads outside `line`.
std::vector<std::string> split_fields(std::string_view line, SplitMode mode = SplitMode::protocol);

// Quote one field so that split_fields() returns it unchanged: bare when
// that is unambiguous, otherwise in double quotes with escapes.  The empty
// string becomes "".
std::string quote_field(std::string_view field);

// Quote each field and join them with single spaces.
std::string quote_fields(const std::vector<std::string>& fields);

// Append quote_field(field) to out, preceded by a space when out is not empty.
void append_field(std::string& out, std::string_view field);

} // namespace disorder
