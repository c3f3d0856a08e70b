// Global preferences (disorder_preferences(5)): key/value server state such
// as "playing" and "random-play", kept in the database.
#pragma once

#include "sqlite.hpp"

#include <optional>
#include <string>

namespace disorder {

class GlobalPrefs {
public:
  explicit GlobalPrefs(Database& db) : db_(db) {}
  std::optional<std::string> get(std::string_view name);
  void set(std::string_view name, std::string_view value);
  // False if it was not set.
  bool unset(std::string_view name);
  // "playing" / "random-play": unset or "yes" means enabled.
  bool flag(std::string_view name);

private:
  Database& db_;
};

} // namespace disorder
