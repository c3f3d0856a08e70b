// Reading and writing track preferences and the indexes derived from them.
#include "track_prefs.hpp"

#include "error.hpp"
#include "names/tags.hpp"
#include "track_db.hpp"

namespace disorder {

namespace {

constexpr std::string_view kTrackname = "trackname_";

void run(Database& db, const std::string& sql, std::string_view a) {
  Statement& st = db.cached(sql);
  st.bind(1, a);
  st.run();
  st.reset();
}

} // namespace

TrackPrefs::TrackPrefs(Database& db, TrackDb& tracks) : db_(db), tracks_(tracks) {}

std::optional<std::string> TrackPrefs::get(std::string_view track, std::string_view name) {
  Statement& st = db_.cached("SELECT value FROM prefs WHERE track = ?1 AND name = ?2");
  st.bind(1, track).bind(2, name);
  std::optional<std::string> value;
  if (st.step()) value = stored_form(name, st.column_text(0));
  st.reset();
  return value;
}

std::vector<std::pair<std::string, std::string>> TrackPrefs::all(std::string_view track) {
  Statement& st = db_.cached("SELECT name, value FROM prefs WHERE track = ?1 ORDER BY name");
  st.bind(1, track);
  std::vector<std::pair<std::string, std::string>> out;
  while (st.step()) {
    std::string name = st.column_text(0);
    std::string value = stored_form(name, st.column_text(1));
    out.emplace_back(std::move(name), std::move(value));
  }
  st.reset();
  return out;
}

void TrackPrefs::check_value(std::string_view name, std::string_view value) {
  if (name != "tags") return;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) throw SyntaxError("tags may not contain control characters");
  }
}

std::string TrackPrefs::stored_form(std::string_view name, std::string_view value) {
  // Values stored before tags were normalised are normalised as they are
  // read, so that no migration is needed.
  if (name == "tags") return normalised_tags_or_same(value);
  return std::string(value);
}

std::string TrackPrefs::set(std::string_view track, std::string_view name, std::string_view given) {
  if (name.empty()) throw SyntaxError("empty preference name");
  check_value(name, given);
  const std::string value = name == "tags" ? normalise_tags(given) : std::string(given);
  Reindexed reindexed(*this, name);
  db_.transaction([&] {
    Statement& st = db_.cached("INSERT INTO prefs (track, name, value) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT (track, name) DO UPDATE SET value = excluded.value");
    st.bind(1, track).bind(2, name).bind(3, value);
    st.run();
    st.reset();
    reindex(track, name);
  });
  return value;
}

bool TrackPrefs::unset(std::string_view track, std::string_view name) {
  Reindexed reindexed(*this, name);
  return db_.transaction([&] {
    Statement& st = db_.cached("DELETE FROM prefs WHERE track = ?1 AND name = ?2");
    st.bind(1, track).bind(2, name);
    st.run();
    st.reset();
    bool removed = db_.changes() > 0;
    if (removed) reindex(track, name);
    return removed;
  });
}

TrackPrefs::Reindexed::~Reindexed() {
  // Whether the transaction was committed or rolled back, the alias cache
  // is rebuilt from what the database now holds.
  if (name_.starts_with(kTrackname)) prefs_.tracks_.names_changed();
}

void TrackPrefs::reindex_all() {
  Reindexed reindexed(*this, kTrackname);
  db_.exec("DELETE FROM track_tags; DELETE FROM pref_words;");
  const auto tracks_with = [this](const std::string& sql) {
    std::vector<std::string> out;
    Statement& st = db_.cached(sql);
    while (st.step())
      out.push_back(st.column_text(0));
    st.reset();
    return out;
  };
  for (const auto& track : tracks_with("SELECT DISTINCT track FROM prefs WHERE name = 'tags'"))
    reindex_tags(track);
  for (const auto& track : tracks_with("SELECT DISTINCT track FROM prefs"
                                       " WHERE substr(name, 1, 10) = 'trackname_'"))
    reindex_words(track);
}

void TrackPrefs::reindex(std::string_view track, std::string_view name) {
  if (name == "tags") reindex_tags(track);
  if (name.starts_with(kTrackname)) reindex_words(track);
}

void TrackPrefs::reindex_tags(std::string_view track) {
  run(db_, "DELETE FROM track_tags WHERE track = ?1", track);
  auto value = get(track, "tags");
  if (!value) return;
  for (const auto& tag : split_tags(*value)) {
    std::string key = tag_key(tag);
    if (key.empty()) continue; // nothing but accents and spaces
    // A second spelling of the same tag on one track: the first one stays.
    Statement& st =
        db_.cached("INSERT OR IGNORE INTO track_tags (key, track, tag) VALUES (?1, ?2, ?3)");
    st.bind(1, key).bind(2, track).bind(3, normalise_tag(tag));
    st.run();
    st.reset();
  }
}

void TrackPrefs::reindex_words(std::string_view track) {
  // Every trackname_ value of the track, as one row: a track has a row
  // exactly when it has a trackname_ preference (TrackDb finds aliased
  // tracks this way), even when the values hold no words.
  bool renamed = false;
  std::string words;
  for (const auto& [name, value] : all(track)) {
    if (!name.starts_with(kTrackname)) continue;
    renamed = true;
    tracks_.search_words().add_text(value, words);
  }
  if (!renamed) {
    run(db_, "DELETE FROM pref_words WHERE track = ?1", track);
  } else {
    Statement& st = db_.cached("INSERT INTO pref_words (track, words) VALUES (?1, ?2)"
                               " ON CONFLICT (track) DO UPDATE SET words = excluded.words");
    st.bind(1, track).bind(2, words);
    st.run();
    st.reset();
  }
}

} // namespace disorder
