// Walks one collection root (or one directory below it) and reports every
// file that is a track.  Directories are read with openat/readdir, using
// d_type to avoid a stat per entry where the file system provides it; a file
// is stat'ed only once its name says it may be a track.  Symbolic links are
// followed, to files and to directories, but a directory that is its own
// ancestor (a loop) is not entered again.  Names beginning with '.' are
// skipped: they are hidden files, editors' and file managers' debris
// (macOS's "._song.mp3" resource files look like tracks but are not).
//
// Whatever goes wrong with one entry (a name not valid in the encoding, a
// directory without permission, a loop, a dangling link) is logged with its
// path and the walk goes on.  Directories that could not be read completely
// are reported, so that the tracks known below them are not taken for
// deleted.
#pragma once

#include "config.hpp"
#include "track_filter.hpp"
#include "track_name.hpp"

#include <deque>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace disorder {

// One track file, valid during the visitor call only.
struct FoundFile {
  const std::string& path; // the file's path bytes (NUL-terminated)
  std::string_view name;   // its track name
  std::string_view dir;    // the name of its directory
  bool path_is_name;       // path's bytes are name's bytes
  const struct stat& st;
};

class WalkVisitor {
public:
  virtual ~WalkVisitor() = default;
  // May throw; the walk stops and the exception propagates.
  virtual void track(const FoundFile& file) = 0;
};

struct WalkOutcome {
  // False when the starting directory could not be reached at all (an
  // unmounted disk): nothing below it may be taken for deleted.
  bool started = false;
  // The starting directory does not exist, though its parent was read: all
  // of it has gone.
  bool absent = false;
  // Whether the starting directory held any entry at all.  An empty root is
  // more likely an unmounted disk than an emptied collection.
  bool empty = true;
  // Names of directories that could not be read completely; tracks below
  // them are neither seen nor gone.
  std::vector<std::string> incomplete;
};

class CollectionWalker {
public:
  // skip: names of directories not to enter (other collection roots nested
  // in this one: they are walked as roots of their own).  Throws
  // EncodingError for an encoding iconv does not know.
  CollectionWalker(const Collection& collection, const TrackFilter& filter,
                   std::vector<std::string> skip);

  // Walks dir, which is the root or a directory name below it.
  WalkOutcome walk(std::string_view dir, WalkVisitor& visitor);

private:
  struct Entry {
    std::size_t raw = 0, raw_size = 0;   // in Level::raw_names
    std::size_t name = 0, name_size = 0; // in Level::names; name_size 0: not convertible
    unsigned char type = 0;              // DT_*
  };
  // The entries of one open directory; one per depth, reused so that a walk
  // allocates little once it has been as deep as it goes.
  struct Level {
    std::string raw_names; // each followed by a NUL, for the system calls
    std::string names;
    std::size_t total = 0; // entries read, whatever their kind (for WalkOutcome::empty)
    std::vector<Entry> entries;
    std::vector<std::size_t> order;
  };

  void walk_directory(int fd, std::size_t depth);
  bool read_entries(int fd, Level& level);
  void visit_entries(int fd, Level& level, std::size_t depth);
  void enter_directory(int parent_fd, std::string_view raw, std::string_view name,
                       std::size_t depth);
  void visit_file(int dir_fd, std::string_view raw, std::string_view name, struct stat* known);
  bool open_start(std::string_view dir, int& fd);
  void incomplete(const std::string& name);

  const Collection& collection_;
  const TrackFilter& filter_;
  TrackNamer namer_;
  std::vector<std::string> skip_;
  std::deque<Level> levels_;
  std::vector<std::pair<dev_t, ino_t>> ancestors_;
  std::string path_;    // bytes of the current directory's path
  std::string name_;    // its name
  bool path_is_name_{}; // path_ == name_ so far
  std::string scratch_; // a converted component
  WalkVisitor* visitor_ = nullptr;
  WalkOutcome* outcome_ = nullptr;
};

} // namespace disorder
