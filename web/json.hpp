// JSON for disorder-web's API: a writer that always produces valid UTF-8
// (whatever bytes a track name holds) and a small parser for request
// bodies, with a depth limit so that hostile input cannot exhaust the
// stack.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace disorder::web {

// Appends JSON to a string.  The caller keeps the structure balanced; keys
// and commas are handled here.
class JsonWriter {
public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  // Bytes that are not valid UTF-8 become U+FFFD; '<', '>' and '&' are
  // escaped too, so the text is safe wherever a browser might look at it.
  JsonWriter& string(std::string_view s);
  JsonWriter& number(double n);
  JsonWriter& integer(long long n);
  JsonWriter& boolean(bool b);
  JsonWriter& null();
  // A key and a string value.
  JsonWriter& field(std::string_view k, std::string_view v) { return key(k).string(v); }
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  void separate();
  std::string out_;
  // One entry per open container: true once it has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// A parsed JSON value.
struct Json {
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json, std::less<>>;
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      value = nullptr;

  bool is_object() const { return std::holds_alternative<std::shared_ptr<Object>>(value); }
  // The member `name` of an object, or nullptr.
  const Json* get(std::string_view name) const;
  // The string value, or nullopt if this is not a string.
  std::optional<std::string> as_string() const;
  // An array of strings, or nullopt if this is not one.
  std::optional<std::vector<std::string>> as_strings() const;
};

// Parses a whole document.  Throws SyntaxError (error.hpp) for anything
// that is not JSON, nests deeper than 32, or holds invalid UTF-8.
Json parse_json(std::string_view text);

} // namespace disorder::web
