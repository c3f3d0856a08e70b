// disorder-dump's side of the server's database: reading what a dump holds
// in one read transaction, and replacing it with a dump's contents in one
// write transaction.
#pragma once

#include "dump/dump_data.hpp"
#include "sqlite.hpp"
#include "users/password_vault.hpp"

namespace disorder {

class TrackPrefs;

// The users (passwords opened with vault), global preferences, track
// preferences, playlists and scheduled events of db, each sorted by name
// (events by time), as of one moment:
// a read transaction sees one snapshot while the server goes on writing
// (WAL).  Throws Error for a database newer than this program or too old
// to hold playlists, or a password the vault cannot open (a key file that
// belongs to another database); DatabaseError for SQLite's failures.
DumpData read_database(Database& db, const PasswordVault& vault);

// Throws DumpFormatError for what the server would not accept: a bad user,
// playlist or preference name, a playlist share other than public, shared
// or private, a tags preference with control characters, a scheduled event
// without an ID, with a priority other than junk or normal, or for another
// action than play or set-global.
void check_dump_data(const DumpData& data);

// Replaces the users, global preferences, track preferences, playlists and
// scheduled events of db with data's, in one transaction, and rebuilds the indexes derived
// from track preferences (prefs.reindex_all()).  Passwords are sealed with
// vault; every user gets a new cookie binding, so no login cookie made
// before survives.  Call check_dump_data() first.  On any error the
// database is left as it was.
void replace_database(Database& db, const PasswordVault& vault, TrackPrefs& prefs,
                      const DumpData& data);

} // namespace disorder
