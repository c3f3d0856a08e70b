// Migrations of the server database, oldest first.  Never edit a step once
// released: add a new one.
#include "db/schema.hpp"

#include <array>
#include <string>

namespace disorder {

namespace {

constexpr std::array<const char*, 7> kMigrations{
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
    // 2: the music collection (written by disorder-rescan), track
    // preferences, and the search index.
    R"sql(
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,       -- the track name: full path, NFC UTF-8
  dir TEXT NOT NULL,               -- name of the directory holding it
  root TEXT NOT NULL,              -- collection root it was found under (UTF-8)
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,          -- nanoseconds since the epoch
  length INTEGER,                  -- whole seconds; NULL when unknown
  added INTEGER NOT NULL,          -- when the track was first seen (seconds)
  scan INTEGER NOT NULL,           -- the rescan that last wrote it (added or re-read)
  -- The file's path as bytes when they differ from name (a collection in
  -- another encoding, a name on disk that is not NFC); NULL when the name
  -- is the path.  Open COALESCE(path, name).
  path BLOB
);
CREATE INDEX tracks_dir ON tracks (dir, name);
CREATE INDEX tracks_added ON tracks (added DESC);
-- Tags read from the file: artist, album, title, tracknumber, genre, ...
-- (lower-case names).
CREATE TABLE file_tags (
  track INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (track, name)
) WITHOUT ROWID;
-- Every directory that holds a track, directly or below it.
CREATE TABLE dirs (
  name TEXT PRIMARY KEY NOT NULL,
  parent TEXT NOT NULL,
  scan INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dirs_parent ON dirs (parent, name);
-- Per-track preferences, keyed by name so that they outlive the track's
-- row (a track that vanishes and comes back keeps them).
CREATE TABLE prefs (
  track TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (track, name)
) WITHOUT ROWID;
-- The words of each track (name, file tags, trackname_ preferences);
-- rowid = tracks.id.  Case and accents are folded by the tokenizer.
CREATE VIRTUAL TABLE search USING fts5 (
  words, tokenize = 'unicode61 remove_diacritics 2'
);
-- Rescan bookkeeping: progress and the generation counter.
CREATE TABLE rescan_state (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- The tags of each track's `tags` preference, one row per tag, kept in
-- step with prefs by the server (track_prefs.cpp).  key is the form tags
-- are compared in (names/tags.hpp), tag its normal form (as written, in
-- rows from older versions, which are normalised when read).
CREATE TABLE track_tags (
  key TEXT NOT NULL,
  track TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (key, track)
) WITHOUT ROWID;
CREATE INDEX track_tags_track ON track_tags (track);
-- The words of each track's trackname_ preferences, kept in step with
-- prefs by the server.  They are indexed apart from `search` because the
-- rescanner rewrites a track's search row whenever its file changes and
-- gives a track that comes back a new id; these rows are keyed by name, so
-- they outlive both, as the preferences do.  pref_search indexes
-- pref_words (FTS5 external content), the triggers keep it in step.
CREATE TABLE pref_words (
  id INTEGER PRIMARY KEY,
  track TEXT UNIQUE NOT NULL,
  words TEXT NOT NULL
);
CREATE VIRTUAL TABLE pref_search USING fts5 (
  words, content = 'pref_words', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER pref_words_inserted AFTER INSERT ON pref_words BEGIN
  INSERT INTO pref_search (rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER pref_words_deleted AFTER DELETE ON pref_words BEGIN
  INSERT INTO pref_search (pref_search, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TRIGGER pref_words_updated AFTER UPDATE ON pref_words BEGIN
  INSERT INTO pref_search (pref_search, rowid, words) VALUES ('delete', old.id, old.words);
  INSERT INTO pref_search (rowid, words) VALUES (new.id, new.words);
END;
)sql",
    // 3: the play queue (position -1 is the playing track) and the
    // recently-played list.
    R"sql(
CREATE TABLE queue (
  position INTEGER NOT NULL,
  id TEXT PRIMARY KEY NOT NULL,
  track TEXT NOT NULL,
  submitter TEXT NOT NULL,         -- '' for random picks
  origin TEXT NOT NULL,            -- picked, random, adopted, scheduled, scratch
  state TEXT NOT NULL,
  queued INTEGER NOT NULL,
  played INTEGER NOT NULL,         -- 0 until it starts
  sofar INTEGER NOT NULL
);
CREATE TABLE recent (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  track TEXT NOT NULL,
  submitter TEXT NOT NULL,
  origin TEXT NOT NULL,
  state TEXT NOT NULL,
  queued INTEGER NOT NULL,
  played INTEGER NOT NULL,
  scratched TEXT NOT NULL,
  wstat INTEGER
);
)sql",
    // 4: playlists.  tracks: the track names, each ending in a line feed.
    R"sql(
CREATE TABLE playlists (
  name TEXT PRIMARY KEY NOT NULL,  -- NAME (anyone's) or OWNER.NAME
  share TEXT NOT NULL,             -- public, shared or private
  tracks TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 5: cookies bound to the account, keys no longer in the database.
    // cookie_binding is mixed into every cookie's MAC and replaced when the
    // password changes, so that a cookie dies with its password or account
    // (users/cookies.hpp).  cookie_keys.secret now holds a salt from which
    // the key is derived with home/private/cookie-key; the old keys were
    // usable as they stood by anyone who could read the database, so they
    // are discarded with the revocations of the cookies they signed: every
    // cookie made before this step stops working.
    R"sql(
ALTER TABLE users ADD COLUMN cookie_binding BLOB;
UPDATE users SET cookie_binding = randomblob(16);
DELETE FROM cookie_keys;
DELETE FROM revoked_cookies;
)sql",
    // 6: DisOrder's playlist sharing.  Until now an unowned playlist was
    // "public" and anyone could change an owned "public" one, while an owned
    // "shared" one was what DisOrder calls public.  Now, as on DisOrder, an
    // unowned playlist is "shared" (anyone may read and change it) and an
    // owned one is "public" (everyone reads it, its owner changes it) or
    // "private".  Each playlist keeps who may read it; owned ones that
    // anyone could change are now changed by their owner alone.
    R"sql(
UPDATE playlists SET share = CASE
  WHEN instr(name, '.') = 0 THEN 'shared'
  WHEN share = 'shared' THEN 'public'
  ELSE share
END;
)sql",
    // 7: scheduled events (schedule.hpp).  IF NOT EXISTS: a database taken
    // back to an older user_version by hand keeps its table.
    R"sql(
CREATE TABLE IF NOT EXISTS schedule (
  id TEXT PRIMARY KEY NOT NULL,
  due INTEGER NOT NULL,            -- when it happens, seconds since the epoch
  who TEXT NOT NULL,               -- the user who made it
  priority TEXT NOT NULL,          -- junk or normal
  action TEXT NOT NULL,            -- play or set-global
  track TEXT,                      -- play: the track
  key TEXT,                        -- set-global: the preference
  value TEXT                       -- set-global: its new value; NULL unsets it
);
CREATE INDEX IF NOT EXISTS schedule_due ON schedule (due);
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

void insert_schedule_row(Database& db, const std::string& id, std::int64_t when,
                         const std::string& who, const std::string& priority,
                         const std::string& action, const std::string& track,
                         const std::string& key, const std::optional<std::string>& value) {
  auto& st = db.cached("INSERT INTO schedule (id, due, who, priority, action, track, key, value) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, id).bind(2, when).bind(3, who).bind(4, priority).bind(5, action);
  if (action == "play") {
    st.bind(6, track).bind(7, nullptr).bind(8, nullptr);
  } else {
    st.bind(6, nullptr).bind(7, key);
    if (value)
      st.bind(8, *value);
    else
      st.bind(8, nullptr);
  }
  st.run();
  st.reset();
}

} // namespace disorder
