// Reading and replacing the dumped state of the server's database.
#include "dump/dump_db.hpp"

#include "crypto.hpp"
#include "db/schema.hpp"
#include "dump/dump_format.hpp"
#include "playlists.hpp"
#include "track_prefs.hpp"
#include "unicode.hpp"
#include "users/user_store.hpp"

namespace disorder {

namespace {

// The first schema that holds everything a dump carries (playlists).
constexpr int kOldestDumpable = 4;
constexpr size_t kCookieBindingBytes = 16;

// A read transaction: BEGIN (deferred) takes no lock until the first read,
// and from then on every read sees the same snapshot.
class ReadTransaction {
public:
  explicit ReadTransaction(Database& db) : db_(db) { db_.exec("BEGIN"); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction() { db_.rollback(); }

private:
  Database& db_;
};

std::vector<std::string> split_tracks(const std::string& tracks) {
  std::vector<std::string> out;
  // Each track ends in a line feed (schema step 4).
  for (std::size_t at = 0, nl; (nl = tracks.find('\n', at)) != std::string::npos; at = nl + 1)
    out.push_back(tracks.substr(at, nl - at));
  return out;
}

bool has_table(Database& db, const char* name) {
  auto& st = db.cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  const bool found = st.step();
  st.reset();
  return found;
}

[[noreturn]] void bad(const std::string& what) {
  throw DumpFormatError(what);
}

} // namespace

DumpData read_database(Database& db, const PasswordVault& vault) {
  ReadTransaction snapshot(db);
  const int version = db.user_version();
  if (version > current_schema_version())
    throw Error(db.path() + " has schema version " + std::to_string(version) +
                ", newer than this disorder-dump understands (" +
                std::to_string(current_schema_version()) + ")");
  if (version < kOldestDumpable)
    throw Error(db.path() + " has schema version " + std::to_string(version) +
                "; start disorderd once to bring it up to date, then dump it");
  DumpData data;
  auto& users = db.cached(
      "SELECT name, password, rights, email, created, confirmation FROM users ORDER BY name");
  while (users.step()) {
    DumpUser u;
    u.name = users.column_text(0);
    try {
      u.password = vault.open(users.column_text(1));
    } catch (const Error& e) {
      throw Error("cannot read the password of user '" + printable(u.name, 64) + "': " + e.what() +
                  " (private/password-key in the server's home must be the key the database "
                  "was written with)");
    }
    try {
      u.rights = parse_rights(users.column_text(2));
    } catch (const SyntaxError&) {
      u.rights = right::none; // as the server reads a damaged row: no rights
    }
    u.email = users.column_text(3);
    u.created = users.column_int(4);
    if (!users.column_is_null(5)) u.confirmation = users.column_text(5);
    data.users.push_back(std::move(u));
  }
  users.reset();
  auto& globals = db.cached("SELECT name, value FROM globals ORDER BY name");
  while (globals.step())
    data.globals.push_back({globals.column_text(0), globals.column_text(1)});
  globals.reset();
  auto& prefs = db.cached("SELECT track, name, value FROM prefs ORDER BY track, name");
  while (prefs.step())
    data.prefs.push_back({prefs.column_text(0), prefs.column_text(1), prefs.column_text(2)});
  prefs.reset();
  auto& lists = db.cached("SELECT name, share, tracks FROM playlists ORDER BY name");
  while (lists.step())
    data.playlists.push_back(
        {lists.column_text(0), lists.column_text(1), split_tracks(lists.column_text(2))});
  lists.reset();
  if (has_table(db, "schedule")) {
    auto& events = db.cached(
        "SELECT id, due, who, priority, action, track, key, value FROM schedule ORDER BY due, id");
    while (events.step()) {
      DumpEvent e;
      e.id = events.column_text(0);
      e.when = events.column_int(1);
      e.who = events.column_text(2);
      e.priority = events.column_text(3);
      e.action = events.column_text(4);
      e.track = events.column_text(5);
      e.key = events.column_text(6);
      if (!events.column_is_null(7)) e.value = events.column_text(7);
      data.schedule.push_back(std::move(e));
    }
    events.reset();
  }
  return data;
}

void check_dump_data(const DumpData& data) {
  for (const auto& u : data.users) {
    try {
      UserStore::check_name(u.name);
    } catch (const UserError& e) {
      bad("user '" + printable(u.name, 64) + "': " + e.what());
    }
  }
  for (const auto& g : data.globals)
    if (g.name.empty()) bad("a global preference has an empty name");
  for (const auto& p : data.prefs) {
    if (p.name.empty()) bad("a preference of '" + printable(p.track, 256) + "' has an empty name");
    try {
      TrackPrefs::check_value(p.name, p.value);
    } catch (const SyntaxError& e) {
      bad("preference '" + printable(p.name, 64) + "' of '" + printable(p.track, 256) +
          "': " + e.what());
    }
  }
  for (const auto& p : data.playlists) {
    try {
      Playlists::check_name(p.name);
    } catch (const UserError& e) {
      bad(e.what());
    }
    // The owner rules of the share are the server's business; a dump
    // carries the word as it was stored.
    if (p.share != "public" && p.share != "shared" && p.share != "private")
      bad("playlist '" + printable(p.name, 256) + "': invalid sharing status '" +
          printable(p.share, 64) + "' (public, shared or private)");
    for (const auto& t : p.tracks)
      if (t.find('\n') != std::string::npos)
        bad("playlist '" + printable(p.name, 256) + "' holds a track name with a line feed");
  }
  for (const auto& e : data.schedule) {
    const std::string which = "scheduled event '" + printable(e.id, 64) + "'";
    if (e.id.empty()) bad("a scheduled event has an empty ID");
    if (e.priority != "junk" && e.priority != "normal")
      bad(which + ": invalid priority '" + printable(e.priority, 64) + "' (junk or normal)");
    if (e.action != "play" && e.action != "set-global")
      bad(which + ": unknown action '" + printable(e.action, 64) + "'");
  }
}

void replace_database(Database& db, const PasswordVault& vault, TrackPrefs& prefs,
                      const DumpData& data) {
  db.transaction([&] {
    db.exec("DELETE FROM users; DELETE FROM globals; DELETE FROM prefs;"
            " DELETE FROM track_tags; DELETE FROM pref_words; DELETE FROM playlists;"
            " DELETE FROM schedule;");
    auto& user = db.cached("INSERT INTO users (name, password, rights, email, created, "
                           "confirmation, cookie_binding) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (const auto& u : data.users) {
      user.bind(1, u.name).bind_blob(2, vault.seal(u.password)).bind(3, format_rights(u.rights));
      if (u.email.empty())
        user.bind(4, nullptr);
      else
        user.bind(4, u.email);
      user.bind(5, u.created);
      if (u.confirmation)
        user.bind(6, *u.confirmation);
      else
        user.bind(6, nullptr);
      user.bind_blob(7, random_bytes(kCookieBindingBytes));
      user.run();
      user.reset();
    }
    auto& global = db.cached("INSERT INTO globals (name, value) VALUES (?, ?)");
    for (const auto& g : data.globals) {
      global.bind(1, g.name).bind(2, g.value).run();
      global.reset();
    }
    auto& pref = db.cached("INSERT INTO prefs (track, name, value) VALUES (?, ?, ?)");
    for (const auto& p : data.prefs) {
      pref.bind(1, p.track).bind(2, p.name).bind(3, p.value).run();
      pref.reset();
    }
    auto& list = db.cached("INSERT INTO playlists (name, share, tracks) VALUES (?, ?, ?)");
    for (const auto& p : data.playlists) {
      std::string tracks;
      for (const auto& t : p.tracks)
        tracks += t + "\n";
      list.bind(1, p.name).bind(2, p.share).bind(3, tracks).run();
      list.reset();
    }
    for (const auto& e : data.schedule)
      insert_schedule_row(db, e.id, e.when, e.who, e.priority, e.action, e.track, e.key, e.value);
    prefs.reindex_all();
  });
}

} // namespace disorder
