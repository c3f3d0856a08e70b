// The rescan itself: units, per-file decisions, deletions, bookkeeping.
#include "rescan.hpp"

#include "batch_transaction.hpp"
#include "dir_table.hpp"
#include "log.hpp"
#include "track_name.hpp"
#include "track_writer.hpp"
#include "unicode.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

namespace disorder {

namespace {

std::string get_state(Database& db, const std::string& key) {
  auto& st = db.cached("SELECT value FROM rescan_state WHERE key = ?1");
  st.bind(1, key);
  std::string value = st.step() ? st.column_text(0) : std::string();
  st.reset();
  return value;
}

void set_state(Database& db, const std::string& key, const std::string& value) {
  auto& st = db.cached("INSERT OR REPLACE INTO rescan_state (key, value) VALUES (?1, ?2)");
  st.bind_all(key, value);
  st.run();
  st.reset();
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

} // namespace

struct Rescan::Current {
  const Collection& collection;
  KnownTracks known;
  BatchTransaction& batch;
  TrackWriter& writer;
  std::size_t added = 0, removed = 0;
};

Rescan::Rescan(const Config& config, Database& db, CrashGuard& guard, RescanOptions options)
    : config_(config), db_(db), guard_(guard), options_(std::move(options)), filter_(config.player),
      search_words_(config.stopword) {
  for (const auto& c : config_.collection) {
    if (c.module != "fs")
      throw ConfigError("collection " + c.root + ": module '" + c.module +
                        "' is not supported (only fs is)");
    // Fails early, before anything is written, for an encoding iconv lacks.
    TrackNamer check(c.encoding);
    roots_.push_back(c.root);
  }
  // The innermost root holding name, or nullptr.
  auto collection_of = [&](std::string_view name) -> const Collection* {
    const Collection* best = nullptr;
    for (const auto& c : config_.collection)
      if (is_at_or_below(name, c.root) && (!best || c.root.size() > best->root.size())) best = &c;
    return best;
  };
  if (options_.paths.empty()) {
    if (config_.collection.empty())
      log_warning("no collection is configured: the database will hold no tracks");
    for (const auto& c : config_.collection)
      units_.push_back({&c, c.root});
    return;
  }
  for (const auto& p : options_.paths) {
    std::string name;
    if (!nfc_normalize(p, name)) throw SyntaxError(printable(p) + " is not valid UTF-8");
    while (name.size() > 1 && name.back() == '/')
      name.pop_back();
    const Collection* c = collection_of(name);
    if (!c) throw SyntaxError(printable(p) + " is not in any collection root");
    units_.push_back({c, name});
  }
  // A directory inside another one given as well is walked with it.
  std::vector<Unit> kept;
  for (const auto& u : units_) {
    bool covered = std::any_of(units_.begin(), units_.end(), [&](const Unit& other) {
      return other.collection == u.collection && &other != &u && is_at_or_below(u.dir, other.dir) &&
             (u.dir != other.dir || &other < &u);
    });
    if (!covered) kept.push_back(u);
  }
  units_ = std::move(kept);
}

RescanSummary Rescan::run() {
  auto started = std::chrono::steady_clock::now();
  std::int64_t generation = 0;
  bool was_unfinished = false;
  db_.transaction([&] {
    std::string g = get_state(db_, "generation");
    generation = (g.empty() ? 0 : std::stoll(g)) + 1;
    set_state(db_, "generation", std::to_string(generation));
    // Left set by a rescan that did not finish: its batches are in, but its
    // dirs rows may not be.
    was_unfinished = get_state(db_, "unfinished") == "1";
    set_state(db_, "unfinished", "1");
    set_state(db_, "started", std::to_string(wall_seconds()));
  });
  if (was_unfinished) log_info("the previous rescan did not finish; continuing from its work");
  bool full = options_.paths.empty();
  unsigned threads = options_.reader_threads;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
  pool_ = std::make_unique<ReadPool>(guard_, threads);
  for (const auto& unit : units_)
    scan(unit, generation, was_unfinished);
  pool_.reset();
  if (full) remove_unconfigured_roots(generation);
  db_.transaction([&] {
    if (full || !was_unfinished) set_state(db_, "unfinished", "0");
    set_state(db_, "finished", std::to_string(wall_seconds()));
  });
  if (options_.progress_every) report_progress();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", took.count());
  log_info("rescan: " + std::to_string(summary_.seen) + " tracks, " +
           std::to_string(summary_.added) + " added, " + std::to_string(summary_.changed) +
           " changed, " + std::to_string(summary_.removed) + " removed, in " + seconds + " s");
  return summary_;
}

void Rescan::scan(const Unit& unit, std::int64_t generation, bool rebuild_dirs) {
  const Collection& c = *unit.collection;
  std::vector<std::string> nested;
  for (const auto& r : roots_)
    if (r != c.root && is_at_or_below(r, c.root)) nested.push_back(r);
  CollectionWalker walker(c, filter_, std::move(nested));
  BatchTransaction batch(db_);
  TrackWriter writer(db_, batch, generation);
  Current current{c, KnownTracks::load(db_, c.root, unit.dir), batch, writer};
  log_debug("scanning " + printable(unit.dir) + ": " + std::to_string(current.known.size()) +
            " tracks known");
  current_ = &current;
  struct Unset {
    Current*& p;
    ~Unset() { p = nullptr; }
  } unset{current_};

  WalkOutcome outcome = walker.walk(unit.dir, *this);
  collect(true);

  if (!outcome.started) {
    log_warning(printable(unit.dir) + " could not be read; its " +
                std::to_string(current.known.size()) + " known tracks are kept");
  } else if (outcome.empty && !outcome.absent && current.known.size() > 0 && current.added == 0 &&
             unit.dir == c.root) {
    log_warning(printable(c.root) + " is empty; its " + std::to_string(current.known.size()) +
                " known tracks are kept (is the disk mounted?)");
  } else {
    current.known.for_each([&](std::string_view name, const KnownTrack& t) {
      if (t.seen) return;
      for (const auto& dir : outcome.incomplete)
        if (is_at_or_below(name, dir)) return;
      log_debug("removed " + printable(name));
      writer.remove(t.id);
      ++current.removed;
    });
  }
  batch.commit();
  summary_.removed += current.removed;
  if (current.added || current.removed || rebuild_dirs) {
    batch.before_write();
    DirTable(db_, generation).update(c.root, unit.dir);
    batch.commit();
  }
}

void Rescan::track(const FoundFile& file) {
  Current& cur = *current_;
  std::int64_t size = file.st.st_size, mtime = mtime_ns(file.st);
  KnownTrack* known = cur.known.find(file.name);
  if (known) {
    if (known->seen) return; // reached twice; the first time counts
    known->seen = true;
    bool same_path =
        known->has_path ? !file.path_is_name && file.path == known->path : file.path_is_name;
    if (!options_.fresh && known->size == size && known->mtime_ns == mtime && same_path) {
      done();
      return;
    }
  } else {
    // Seen now, written when its read finishes.
    KnownTrack placeholder;
    placeholder.seen = true;
    cur.known.add(file.name, placeholder);
  }
  auto job = pool_->job();
  job->path = file.path;
  job->name = file.name;
  job->dir_size = file.dir.size();
  job->size = size;
  job->mtime_ns = mtime;
  job->path_is_name = file.path_is_name;
  job->known_id = known ? known->id : 0;
  pool_->submit(std::move(job));
  collect(false);
}

void Rescan::collect(bool all) {
  // Enough reads queued to keep every reader busy, few enough that the
  // database stays close behind the walk.
  const std::size_t max_in_flight = 64;
  for (;;) {
    bool wait = all ? pool_->in_flight() > 0 : pool_->in_flight() >= max_in_flight;
    finished_.clear();
    pool_->take_finished(finished_, std::chrono::milliseconds(wait ? 50 : 0));
    for (auto& job : finished_) {
      write(*job);
      pool_->recycle(std::move(job));
    }
    if (!wait) return;
    // Waiting on a slow disk: do not keep the server from writing meanwhile.
    if (finished_.empty()) current_->batch.commit_if_old();
  }
}

void Rescan::write(ReadJob& job) {
  Current& cur = *current_;
  if (job.crashed_before) {
    log_warning(printable(job.path) +
                ": the tag reader crashed on this file in an earlier rescan; its tags and "
                "length are not read until it changes");
  } else if (job.status == ReadStatus::unreadable) {
    // Nothing could play it either.  A track already known is left as it
    // is, so that a passing permission problem does not lose it.
    log_warning(printable(job.path) + ": " + job.error +
                (job.known_id ? "; kept as it was" : "; not added"));
    done(job.known_id != 0);
    return;
  } else if (job.status == ReadStatus::unrecognised) {
    log_warning(printable(job.path) + ": no audio found (corrupt, truncated or of an unknown "
                                      "format); added with an unknown length");
  }

  std::string_view name = job.name;
  words_.clear();
  std::size_t root_size = cur.collection.root.size() + (cur.collection.root == "/" ? 0 : 1);
  search_words_.add_name(name.substr(std::min(name.size(), root_size)), words_);
  for (const char* tag : {"artist", "album", "title"})
    search_words_.add_text(job.data.tag(tag), words_);

  TrackRecord record;
  record.name = name;
  record.dir = name.substr(0, job.dir_size);
  record.root = cur.collection.root;
  record.size = job.size;
  record.mtime_ns = job.mtime_ns;
  if (!job.path_is_name) record.path = std::string_view(job.path);
  record.data = &job.data;
  record.words = words_;
  KnownTrack* known = cur.known.find(name);
  if (job.known_id) {
    cur.writer.update(job.known_id, record);
    ++summary_.changed;
    log_debug("changed " + printable(name));
  } else {
    std::int64_t id = cur.writer.add(record, wall_seconds());
    if (known) known->id = id;
    ++cur.added;
    ++summary_.added;
    log_debug("added " + printable(name));
  }
  done();
}

void Rescan::done(bool is_track) {
  if (!is_track) return;
  ++summary_.seen;
  if (options_.progress_every && summary_.seen % options_.progress_every == 0) {
    current_->batch.commit(); // what is reported is in the database
    report_progress();
  }
}

void Rescan::report_progress() {
  if (summary_.seen == reported_) return;
  reported_ = summary_.seen;
  std::fprintf(options_.progress_out, "%zu\n", summary_.seen);
  std::fflush(options_.progress_out);
}

void Rescan::remove_unconfigured_roots(std::int64_t generation) {
  std::string roots_text;
  for (const auto& r : roots_)
    roots_text += r + "\n";
  if (get_state(db_, "roots") == roots_text) return;
  // The roots changed since the last full rescan (or this is the first):
  // tracks found under a root no longer configured have gone with it.
  std::vector<std::string> stale;
  {
    auto& st = db_.cached("SELECT DISTINCT root FROM tracks");
    while (st.step()) {
      std::string r = st.column_text(0);
      if (std::find(roots_.begin(), roots_.end(), r) == roots_.end()) stale.push_back(r);
    }
    st.reset();
  }
  db_.transaction([&] {
    DirTable dirs(db_, generation);
    for (const auto& r : stale) {
      auto& words =
          db_.cached("DELETE FROM search WHERE rowid IN (SELECT id FROM tracks WHERE root = ?1)");
      words.bind(1, r);
      words.run();
      words.reset();
      auto& tracks = db_.cached("DELETE FROM tracks WHERE root = ?1");
      tracks.bind(1, r);
      tracks.run();
      tracks.reset();
      auto removed = static_cast<std::size_t>(db_.changes());
      summary_.removed += removed;
      log_info(printable(r) + " is no longer a collection root: " + std::to_string(removed) +
               " tracks removed");
      // A root that was nested in one still configured leaves dirs rows
      // inside that one.
      for (const auto& outer : roots_)
        if (is_at_or_below(r, outer)) dirs.update(outer, r);
    }
    dirs.remove_outside(roots_);
    set_state(db_, "roots", roots_text);
  });
}

} // namespace disorder
