// Loading the known tracks of a scan range.
#include "known_tracks.hpp"

#include "track_name.hpp"

namespace disorder {

KnownTracks KnownTracks::load(Database& db, std::string_view root, std::string_view dir) {
  KnownTracks known;
  // A range over the name index rather than "root = ?" (there is no index
  // on root); the root test then leaves out nested roots' tracks.
  auto& st = db.cached("SELECT id, name, size, mtime, path FROM tracks"
                       " WHERE name >= ?1 AND name < ?2 AND root = ?3");
  st.bind_all(below_begin(dir), below_end(dir), root);
  while (st.step()) {
    KnownTrack t;
    t.id = st.column_int(0);
    t.size = st.column_int(2);
    t.mtime_ns = st.column_int(3);
    t.has_path = !st.column_is_null(4);
    if (t.has_path) t.path = st.column_text(4);
    known.tracks_.emplace(st.column_text(1), std::move(t));
  }
  st.reset();
  return known;
}

KnownTrack* KnownTracks::find(std::string_view name) {
  auto it = tracks_.find(name);
  return it == tracks_.end() ? nullptr : &it->second;
}

KnownTrack& KnownTracks::add(std::string_view name, const KnownTrack& track) {
  return tracks_.insert_or_assign(std::string(name), track).first->second;
}

} // namespace disorder
