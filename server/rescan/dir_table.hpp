// The dirs table: every directory that holds a track, directly or further
// down, with its parent, so that the server can list a directory's
// subdirectories without walking the file system.  It is derived from the
// tracks table after the tracks of a part of the collection have changed.
#pragma once

#include "sqlite.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace disorder {

class DirTable {
public:
  DirTable(Database& db, std::int64_t generation);

  // Brings the rows for dir and everything below it, and for dir's
  // ancestors up to root, in line with the tracks table.  dir is root or a
  // directory below it.  Call inside a transaction.
  void update(std::string_view root, std::string_view dir);

  // Deletes the rows of directories outside every one of roots (a
  // collection line was removed).  Call inside a transaction.
  void remove_outside(const std::vector<std::string>& roots);

private:
  bool holds_tracks(std::string_view dir);
  void insert(std::string_view name);
  void remove(std::string_view name);

  Database& db_;
  std::int64_t generation_;
};

} // namespace disorder
