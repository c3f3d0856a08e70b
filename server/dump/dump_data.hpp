// What disorder-dump carries between a database and a dump file: the state
// that cannot be rebuilt by a rescan (users with their passwords and
// rights, track preferences, global preferences, playlists, scheduled
// events).  Plain data;
// dump_format.hpp reads and writes it as text, dump_db.hpp reads it from and
// writes it to the server's database.
#pragma once

#include "rights.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

struct DumpUser {
  std::string name;
  std::string password; // in clear: the protocol needs it (users/password_vault.hpp)
  Rights rights = right::none;
  std::string email;                       // "" when unset
  std::int64_t created = 0;                // seconds since the epoch
  std::optional<std::string> confirmation; // set while a registration awaits confirmation
  bool operator==(const DumpUser&) const = default;
};

struct DumpGlobal {
  std::string name;
  std::string value;
  bool operator==(const DumpGlobal&) const = default;
};

struct DumpPref {
  std::string track;
  std::string name;
  std::string value;
  bool operator==(const DumpPref&) const = default;
};

struct DumpPlaylist {
  std::string name;  // NAME or OWNER.NAME
  std::string share; // public, shared or private
  std::vector<std::string> tracks;
  bool operator==(const DumpPlaylist&) const = default;
};

// A scheduled event (server/schedule.hpp), as the schedule table holds it.
struct DumpEvent {
  std::string id;
  std::int64_t when = 0; // seconds since the epoch
  std::string who;
  std::string priority;             // junk or normal
  std::string action;               // play or set-global
  std::string track;                // play
  std::string key;                  // set-global
  std::optional<std::string> value; // set-global; unset: the event unsets key
  bool operator==(const DumpEvent&) const = default;
};

struct DumpData {
  std::vector<DumpUser> users;
  std::vector<DumpGlobal> globals;
  std::vector<DumpPref> prefs;
  std::vector<DumpPlaylist> playlists;
  std::vector<DumpEvent> schedule;
  bool operator==(const DumpData&) const = default;
};

} // namespace disorder
