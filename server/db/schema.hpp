// The server's database schema and its migrations.  The schema version is
// SQLite's user_version; each release's changes are one more migration step.
#pragma once

#include "sqlite.hpp"

namespace disorder {

// Brings db up to the current schema, one migration at a time, each in its
// own transaction.  Throws DatabaseError if the database is newer than this
// program understands.
void migrate_schema(Database& db);

// The version migrate_schema() produces.
int current_schema_version();

} // namespace disorder
