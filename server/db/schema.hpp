// The server's database schema and its migrations.  The schema version is
// SQLite's user_version; each release's changes are one more migration step.
#pragma once

#include "sqlite.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace disorder {

// Brings db up to the current schema, one migration at a time, each in its
// own transaction.  Throws DatabaseError if the database is newer than this
// program understands.
void migrate_schema(Database& db);

// The version migrate_schema() produces.
int current_schema_version();

// Writes one row of the schedule table (schema step 7), as the server and
// disorder-dump both store events: a play event's key and value are NULL, a
// set-global event's track is, and a NULL value unsets the key.
void insert_schedule_row(Database& db, const std::string& id, std::int64_t when,
                         const std::string& who, const std::string& priority,
                         const std::string& action, const std::string& track,
                         const std::string& key, const std::optional<std::string>& value);

} // namespace disorder
