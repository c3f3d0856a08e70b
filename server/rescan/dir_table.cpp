// Deriving dirs rows from track names.
#include "dir_table.hpp"

#include "track_name.hpp"

#include <set>
#include <string>

namespace disorder {

DirTable::DirTable(Database& db, std::int64_t generation) : db_(db), generation_(generation) {}

bool DirTable::holds_tracks(std::string_view dir) {
  auto& st = db_.cached("SELECT 1 FROM tracks WHERE dir = ?1 OR (dir >= ?2 AND dir < ?3) LIMIT 1");
  st.bind_all(dir, below_begin(dir), below_end(dir));
  bool found = st.step();
  st.reset();
  return found;
}

void DirTable::insert(std::string_view name) {
  auto& st = db_.cached("INSERT OR IGNORE INTO dirs (name, parent, scan) VALUES (?1, ?2, ?3)");
  st.bind_all(name, dir_part(name), generation_);
  st.run();
  st.reset();
}

void DirTable::remove(std::string_view name) {
  auto& st = db_.cached("DELETE FROM dirs WHERE name = ?1");
  st.bind(1, name);
  st.run();
  st.reset();
}

void DirTable::update(std::string_view root, std::string_view dir) {
  std::string begin = below_begin(dir), end = below_end(dir);
  // Wanted: the directories of the tracks at or below dir, and every
  // directory between each of them and dir.
  std::set<std::string, std::less<>> wanted;
  {
    auto& st =
        db_.cached("SELECT DISTINCT dir FROM tracks WHERE dir = ?1 OR (dir >= ?2 AND dir < ?3)");
    st.bind_all(dir, begin, end);
    while (st.step()) {
      std::string d = st.column_text(0);
      std::string_view up = d;
      while (up.size() > dir.size() && !wanted.count(up)) {
        wanted.emplace(up);
        up = dir_part(up);
      }
      wanted.emplace(dir);
    }
    st.reset();
  }
  std::set<std::string, std::less<>> existing;
  {
    auto& st = db_.cached("SELECT name FROM dirs WHERE name = ?1 OR (name >= ?2 AND name < ?3)");
    st.bind_all(dir, begin, end);
    while (st.step())
      existing.insert(st.column_text(0));
    st.reset();
  }
  for (const auto& name : wanted)
    if (!existing.count(name)) insert(name);
  for (const auto& name : existing)
    if (!wanted.count(name)) remove(name);
  // The ancestors of dir up to root hold tracks if dir does; otherwise each
  // one has to be asked (it may have tracks in other subdirectories).
  std::string_view up = dir;
  bool holds = !wanted.empty();
  while (up.size() > root.size()) {
    up = dir_part(up);
    if (holds) {
      insert(up);
    } else if (holds_tracks(up)) {
      holds = true;
      insert(up);
    } else {
      remove(up);
    }
  }
}

void DirTable::remove_outside(const std::vector<std::string>& roots) {
  std::vector<std::string> doomed;
  auto& st = db_.cached("SELECT name FROM dirs");
  while (st.step()) {
    std::string name = st.column_text(0);
    bool inside = false;
    for (const auto& r : roots)
      if (is_at_or_below(name, r)) inside = true;
    if (!inside) doomed.push_back(std::move(name));
  }
  st.reset();
  for (const auto& name : doomed)
    remove(name);
}

} // namespace disorder
