// Global preferences (disorder_preferences(5)): key/value server state such
// as "playing" and "random-play", kept in the database.  The tag lists
// required-tags and prohibited-tags are kept in DisOrder's normal form
// (names/tags.hpp), as the tags track preference is.
#pragma once

#include "sqlite.hpp"

#include <optional>
#include <string>
#include <vector>

namespace disorder {

class GlobalPrefs {
public:
  explicit GlobalPrefs(Database& db) : db_(db) {}
  std::optional<std::string> get(std::string_view name);
  // Returns the value as stored, which is what get gives.  Throws
  // SyntaxError for a tag list that is not UTF-8.
  std::string set(std::string_view name, std::string_view value);
  // False if it was not set.
  bool unset(std::string_view name);
  // "playing" / "random-play": unset or "yes" means enabled.
  bool flag(std::string_view name);
  // The tag keys (tag_key) of a tag list preference; empty when unset.
  std::vector<std::string> tag_keys(std::string_view name);

private:
  Database& db_;
};

} // namespace disorder
