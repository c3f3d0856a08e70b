// One run of the rescanner: for each collection root (or each directory the
// command line names), load what the database knows, walk the files, read
// the new and changed ones, write them in batches, delete what has gone and
// bring the dirs table up to date.  main() composes it from the
// configuration, the database and the crash guard.
#pragma once

#include "collection_walker.hpp"
#include "config.hpp"
#include "crash_guard.hpp"
#include "known_tracks.hpp"
#include "read_pool.hpp"
#include "search_words.hpp"
#include "sqlite.hpp"
#include "track_filter.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace disorder {

struct RescanOptions {
  bool fresh = false; // ignore sizes and mtimes: read every file again
  // Print the number of tracks seen so far, one line every this many
  // tracks and at the end; 0 for none.
  std::size_t progress_every = 0;
  std::FILE* progress_out = stdout;
  // Threads reading tags; 0: one per CPU (at least two, at most eight).
  unsigned reader_threads = 0;
  // Restrict the scan to these names (roots or directories below one);
  // empty: every root.
  std::vector<std::string> paths;
};

struct RescanSummary {
  std::size_t seen = 0; // tracks found (unchanged, added or changed)
  std::size_t added = 0, changed = 0, removed = 0;
};

class Rescan : private WalkVisitor {
public:
  // Throws ConfigError for a collection this program cannot scan (a module
  // other than fs), EncodingError for an encoding iconv does not know, and
  // SyntaxError for a path outside every root.  Checks only: nothing is
  // read or written before run().
  Rescan(const Config& config, Database& db, CrashGuard& guard, RescanOptions options);

  // Throws DatabaseError when the database fails; per-file trouble is only
  // logged.
  RescanSummary run();

private:
  struct Unit {
    const Collection* collection;
    std::string dir; // the root or a directory below it
  };

  void scan(const Unit& unit, std::int64_t generation, bool rebuild_dirs);
  void track(const FoundFile& file) override;
  // Writes the reads that have finished; with all, waits for every one.
  void collect(bool all);
  void write(ReadJob& job);
  // One more file is dealt with: in the database as this rescan found it
  // (is_track), or not added.
  void done(bool is_track = true);
  void report_progress();
  void remove_unconfigured_roots(std::int64_t generation);

  const Config& config_;
  Database& db_;
  CrashGuard& guard_;
  RescanOptions options_;
  TrackFilter filter_;
  SearchWords search_words_;
  std::vector<Unit> units_;
  std::vector<std::string> roots_;

  // State of the unit being scanned, for track().
  struct Current;
  Current* current_ = nullptr;
  std::unique_ptr<ReadPool> pool_;
  std::vector<std::unique_ptr<ReadJob>> finished_; // reused by collect()
  RescanSummary summary_;
  std::size_t reported_ = static_cast<std::size_t>(-1); // summary_.seen when last reported
  std::string words_;                                   // reused for every search row
};

} // namespace disorder
