// Migrations of the server database, oldest first.  Never edit a step once
// released: add a new one.
#include "db/schema.hpp"

#include <array>
#include <string>

namespace disorder {

namespace {

constexpr std::array<const char*, 1> kMigrations{
    // 1: users, global preferences, cookie signing keys and revoked cookies.
    R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY NOT NULL,
  password BLOB NOT NULL,          -- sealed by PasswordVault, see users/password_vault.hpp
  rights TEXT NOT NULL,
  email TEXT,
  created INTEGER NOT NULL,
  confirmation TEXT                -- non-NULL while a registration awaits confirmation
);
CREATE TABLE globals (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE cookie_keys (
  id INTEGER PRIMARY KEY,
  secret BLOB NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE revoked_cookies (
  mac TEXT PRIMARY KEY NOT NULL,
  expires INTEGER NOT NULL
);
)sql",
};

} // namespace

int current_schema_version() {
  return static_cast<int>(kMigrations.size());
}

void migrate_schema(Database& db) {
  int version = db.user_version();
  if (version > current_schema_version())
    throw DatabaseError(db.path() + " has schema version " + std::to_string(version) +
                        ", newer than this server understands (" +
                        std::to_string(current_schema_version()) + ")");
  for (; version < current_schema_version(); ++version) {
    db.transaction([&] {
      db.exec(kMigrations[static_cast<size_t>(version)]);
      db.set_user_version(version + 1);
    });
  }
}

} // namespace disorder
