// Queries over tracks, dirs, file tags, the search indexes and preferences.
#include "track_db.hpp"

#include "names/aliases.hpp"
#include "names/tags.hpp"
#include "split.hpp"
#include "unicode.hpp"

#include <algorithm>
#include <sys/stat.h>
#include <unictype.h>
#include <unistr.h>

namespace disorder {

namespace {

// Resets a cached statement when a query is left, by return or by throw, so
// that no read transaction stays open behind it.
class Query {
public:
  Query(Database& db, const std::string& sql) : st_(db.cached(sql)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() { st_.reset(); }
  Statement* operator->() { return &st_; }
  Statement& operator*() { return st_; }

private:
  Statement& st_;
};

// Whether name can be a line of a reply body (see files() in the header).
bool fits_a_body_line(std::string_view name) {
  return name.find('\n') == std::string_view::npos;
}

// The directory name is in ("/" for a name directly below the root of the
// file system, "" for a name without a slash).
std::string_view parent_dir(std::string_view name) {
  size_t slash = name.rfind('/');
  if (slash == std::string_view::npos) return {};
  return slash == 0 ? name.substr(0, 1) : name.substr(0, slash);
}

// Whether name is below directory root.
bool strictly_below(std::string_view name, std::string_view root) {
  root = strip_trailing_slashes(root);
  if (root == "/") return name.size() > 1 && name.front() == '/';
  return name.size() > root.size() + 1 && name.starts_with(root) && name[root.size()] == '/';
}

std::string_view basename(std::string_view name) {
  size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Whether SQLite's unicode61 tokenizer finds a token in word: it keeps
// letters, numbers and private-use characters and splits at everything
// else.  A word with no token would make the whole query match nothing.
bool has_token(std::string_view word) {
  const auto* s = reinterpret_cast<const uint8_t*>(word.data());
  for (size_t i = 0; i < word.size();) {
    ucs4_t c;
    int n = u8_mbtouc(&c, s + i, word.size() - i);
    if (uc_is_alnum(c) || uc_is_general_category(c, UC_CATEGORY_Co)) return true;
    i += static_cast<size_t>(n);
  }
  return false;
}

// One word as an FTS5 string: in double quotes, which make every character
// but the quote itself (doubled) literal.
std::string fts_string(std::string_view word) {
  std::string out = "\"";
  for (char c : word) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string fts_join(const std::vector<std::string>& words, std::string_view op) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.append(" ").append(op).append(" ");
    out += fts_string(w);
  }
  return out;
}

std::vector<std::string> intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Below this many tracks, a tag is checked track by track rather than by
// listing every track that has it.
constexpr size_t kFewTracks = 64;

std::int64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

} // namespace

std::string_view strip_trailing_slashes(std::string_view name) {
  while (name.size() > 1 && name.back() == '/')
    name.remove_suffix(1);
  return name;
}

TrackDb::TrackDb(Database& db, const Config& config)
    : db_(db), parts_(config.namepart), alias_pattern_(config.alias), words_(config.stopword) {}

std::optional<TrackRow> TrackDb::find(std::string_view name) {
  Query q(db_, "SELECT id, name, root, length FROM tracks WHERE name = ?1");
  q->bind(1, name);
  if (!q->step()) return std::nullopt;
  TrackRow row{q->column_int(0), q->column_text(1), q->column_text(2), std::nullopt};
  if (!q->column_is_null(3)) row.length = q->column_int(3);
  return row;
}

std::optional<std::string> TrackDb::resolve(std::string_view name) {
  {
    Query q(db_, "SELECT 1 FROM tracks WHERE name = ?1");
    q->bind(1, name);
    if (q->step()) return std::string(name);
  }
  const auto& map = aliases().tracks;
  auto it = map.find(name);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

TrackFacts TrackDb::facts(std::string_view name, const std::vector<Collection>& collections) {
  TrackFacts facts;
  facts.name = name;
  std::optional<std::int64_t> id;
  if (auto row = find(name)) {
    facts.root = row->root;
    id = row->id;
  } else {
    for (const auto& c : collections) {
      if (c.root.size() > facts.root.size() && relative_name(name, c.root).size() < name.size())
        facts.root = c.root;
    }
  }
  {
    Query q(db_, "SELECT name, value FROM prefs WHERE track = ?1");
    q->bind(1, name);
    while (q->step())
      facts.prefs.emplace(q->column_text(0), q->column_text(1));
  }
  if (id) {
    Query q(db_, "SELECT name, value FROM file_tags WHERE track = ?1");
    q->bind(1, *id);
    while (q->step())
      facts.tags.emplace(q->column_text(0), q->column_text(1));
  }
  return facts;
}

std::string TrackDb::collection_version() {
  // generation changes when a rescan starts, finished when it ends: between
  // them tags and roots of tracks may have changed.
  Query q(db_, "SELECT group_concat(key || '=' || value, ' ') FROM rescan_state"
               " WHERE key IN ('generation', 'finished', 'completed')");
  return q->step() ? q->column_text(0) : std::string();
}

const TrackDb::AliasIndex& TrackDb::aliases() {
  std::string version = collection_version();
  if (aliases_ && version == aliases_version_) return *aliases_;
  // pref_words has a row for exactly the tracks with trackname_
  // preferences (track_prefs.cpp): usually a handful.
  std::vector<std::string> renamed;
  {
    Query q(db_, "SELECT w.track FROM pref_words w JOIN tracks t ON t.name = w.track");
    while (q->step())
      renamed.push_back(q->column_text(0));
  }
  AliasIndex index;
  for (const auto& name : renamed) {
    TrackFacts f = facts(name, {});
    if (!has_trackname_prefs(f)) continue;
    // Names from clients are looked up in NFC; preference values may not
    // have been sent in it.
    std::string alias = to_nfc(alias_of(parts_, alias_pattern_, f));
    // Its directories, up to the track's root (which holds the track
    // itself, so is listed already).
    const std::string root = to_nfc(f.root);
    for (std::string_view dir = parent_dir(alias); strictly_below(dir, root);) {
      index.dirs.emplace(dir);
      std::string_view up = parent_dir(dir);
      if (up.size() >= dir.size()) break;
      dir = up;
    }
    index.tracks.emplace(std::move(alias), name);
  }
  aliases_ = std::move(index);
  aliases_version_ = std::move(version);
  return *aliases_;
}

std::vector<std::string> TrackDb::listing(const std::string& sql, std::string_view dir,
                                          BoundedMatcher* filter) {
  std::vector<std::string> out;
  Query q(db_, sql);
  q->bind(1, strip_trailing_slashes(dir));
  while (q->step()) {
    std::string name = q->column_text(0);
    if (fits_a_body_line(name) && (!filter || filter->matches(basename(name))))
      out.push_back(std::move(name));
  }
  return out;
}

namespace {

// Adds to out the names directly in dir (filter permitting), keeps out
// sorted and drops repeats: an alias that spells a real track's name (or a
// directory that also holds real tracks) is listed once.
template <typename Names>
void merge_virtual(std::vector<std::string>& out, const Names& names, std::string_view dir,
                   BoundedMatcher* filter) {
  bool added = false;
  for (const auto& name : names) {
    std::string_view n = name;
    if (parent_dir(n) != dir || !fits_a_body_line(n)) continue;
    if (filter && !filter->matches(basename(n))) continue;
    out.emplace_back(n);
    added = true;
  }
  if (!added) return;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

} // namespace

std::vector<std::string> TrackDb::files(std::string_view dir, BoundedMatcher* filter) {
  auto out = listing("SELECT name FROM tracks WHERE dir = ?1 ORDER BY name", dir, filter);
  std::vector<std::string_view> aliases;
  for (const auto& [alias, track] : this->aliases().tracks)
    aliases.push_back(alias);
  merge_virtual(out, aliases, strip_trailing_slashes(dir), filter);
  return out;
}

std::vector<std::string> TrackDb::dirs(std::string_view dir, BoundedMatcher* filter) {
  // A directory is never its own subdirectory (a root of "/" would be).
  auto out =
      listing("SELECT name FROM dirs WHERE parent = ?1 AND name <> ?1 ORDER BY name", dir, filter);
  merge_virtual(out, aliases().dirs, strip_trailing_slashes(dir), filter);
  return out;
}

std::vector<std::string> TrackDb::newest(std::int64_t max, std::int64_t since) {
  std::vector<std::string> out;
  // Rows added in the same second are in insertion order, which is id
  // order.  Names with a line feed are left out here rather than after the
  // LIMIT, so that max names still come back.
  Query q(db_, "SELECT name FROM tracks WHERE added >= ?1 AND instr(name, char(10)) = 0"
               " ORDER BY added DESC, id DESC LIMIT ?2");
  q->bind(1, since).bind(2, max);
  while (q->step())
    out.push_back(q->column_text(0));
  return out;
}

TrackDb::NameSet TrackDb::tracks_matching_words(const std::vector<std::string>& words) {
  NameSet out;
  {
    // Every word among the words the rescanner indexed: the common case,
    // one FTS5 query.
    Query q(db_, "SELECT t.name FROM search s JOIN tracks t ON t.id = s.rowid"
                 " WHERE search MATCH ?1");
    q->bind(1, fts_join(words, "AND"));
    while (q->step())
      out.push_back(q->column_text(0));
  }
  // A track with trackname_ preferences may have some words there and the
  // rest in its own row.  Such tracks are few: find, word by word, those
  // whose preference words hold it; each that lacks some of the words there
  // is then asked for the rest in its own row, one FTS5 query for one row.
  std::map<std::int64_t, std::vector<bool>> found; // track id -> which words
  std::map<std::int64_t, std::string> candidate_names;
  for (size_t i = 0; i < words.size(); ++i) {
    Query q(db_, "SELECT t.id, t.name FROM pref_search p"
                 " JOIN pref_words w ON w.id = p.rowid JOIN tracks t ON t.name = w.track"
                 " WHERE pref_search MATCH ?1");
    q->bind(1, fts_string(words[i]));
    while (q->step()) {
      auto [it, fresh] = found.try_emplace(q->column_int(0), words.size(), false);
      it->second[i] = true;
      if (fresh) candidate_names.emplace(it->first, q->column_text(1));
    }
  }
  for (auto& [id, has] : found) {
    std::vector<std::string> rest;
    for (size_t i = 0; i < words.size(); ++i)
      if (!has[i]) rest.push_back(words[i]);
    bool all = rest.empty();
    if (!all) {
      Query q(db_, "SELECT 1 FROM search WHERE search MATCH ?1 AND rowid = ?2");
      q->bind(1, fts_join(rest, "AND")).bind(2, id);
      all = q->step();
    }
    if (all) out.push_back(std::move(candidate_names[id]));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TrackDb::NameSet TrackDb::tracks_tagged(const std::string& key, bool present_only) {
  NameSet out;
  // Preferences outlive their tracks: only tracks in the collection count,
  // unless the caller intersects with tracks known to be there.
  Query q(db_, present_only ? "SELECT tt.track FROM track_tags tt"
                              " JOIN tracks t ON t.name = tt.track"
                              " WHERE tt.key = ?1 ORDER BY tt.track"
                            : "SELECT track FROM track_tags WHERE key = ?1 ORDER BY track");
  q->bind(1, key);
  while (q->step())
    out.push_back(q->column_text(0));
  return out;
}

std::vector<std::string> TrackDb::search(std::string_view terms) {
  std::vector<std::string> words, tag_keys;
  for (const auto& term : split_fields(terms)) {
    if (term.starts_with("tag:")) {
      std::string key = tag_key(std::string_view(term).substr(4));
      if (!key.empty()) tag_keys.push_back(std::move(key));
      continue;
    }
    std::string text;
    words_.add_text(term, text); // words separated by single spaces, stopwords dropped
    for (size_t start = 0; start < text.size();) {
      size_t end = std::min(text.find(' ', start), text.size());
      std::string_view w = std::string_view(text).substr(start, end - start);
      if (has_token(w)) words.emplace_back(w);
      start = end + 1;
    }
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  std::sort(tag_keys.begin(), tag_keys.end());
  tag_keys.erase(std::unique(tag_keys.begin(), tag_keys.end()), tag_keys.end());
  if (words.empty() && tag_keys.empty()) return {};

  NameSet result;
  size_t next_tag = 0;
  if (!words.empty()) {
    result = tracks_matching_words(words);
  } else {
    result = tracks_tagged(tag_keys[next_tag++], true);
  }
  for (; next_tag < tag_keys.size() && !result.empty(); ++next_tag) {
    const std::string& key = tag_keys[next_tag];
    if (result.size() <= kFewTracks) {
      // A handful of tracks (the usual answer to words): ask about each.
      std::erase_if(result, [&](const std::string& name) {
        Query q(db_, "SELECT 1 FROM track_tags WHERE key = ?1 AND track = ?2");
        q->bind(1, key).bind(2, name);
        return !q->step();
      });
    } else {
      result = intersect(result, tracks_tagged(key, false));
    }
  }
  std::erase_if(result, [](const std::string& name) { return !fits_a_body_line(name); });
  return result;
}

std::vector<std::string> TrackDb::tags() {
  std::vector<std::string> out;
  // Several spellings of one tag (accents aside, the same once normalised):
  // the first in code-point order stands for them all, so that the answer
  // does not depend on row order.  Rows written before tags were normalised
  // are normalised here.
  Query q(db_, "SELECT min(tt.tag) FROM track_tags tt JOIN tracks t ON t.name = tt.track"
               " GROUP BY tt.key ORDER BY tt.key");
  while (q->step()) {
    std::string tag = q->column_text(0);
    try {
      tag = normalise_tag(tag);
    } catch (const SyntaxError&) {
      // Not UTF-8: shown as it is.
    }
    if (fits_a_body_line(tag)) out.push_back(std::move(tag));
  }
  return out;
}

CollectionStats TrackDb::stats() {
  CollectionStats s;
  auto count = [&](const char* sql) {
    Query q(db_, sql);
    return q->step() ? q->column_int(0) : 0;
  };
  {
    // One pass over the tracks for both counts.
    Query q(db_, "SELECT count(*), count(*) - count(length) FROM tracks");
    if (q->step()) {
      s.tracks = q->column_int(0);
      s.unknown_length = q->column_int(1);
    }
  }
  s.dirs = count("SELECT count(*) FROM dirs");
  s.with_prefs = count("SELECT count(DISTINCT track) FROM prefs");
  s.aliased = count("SELECT count(*) FROM pref_words w JOIN tracks t ON t.name = w.track");
  s.database_bytes = file_size(db_.path()) + file_size(db_.path() + "-wal");
  Query q(db_, "SELECT value FROM rescan_state WHERE key = 'completed'");
  if (q->step()) s.last_rescan = q->column_int(0);
  return s;
}

} // namespace disorder
