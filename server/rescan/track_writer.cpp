// SQL for writing tracks.
#include "track_writer.hpp"

namespace disorder {

namespace {

// Binds a text value, or NULL for an unset optional.
void bind_path(Statement& st, int index, const std::optional<std::string_view>& path) {
  if (path)
    st.bind_blob(index, *path); // raw bytes: not necessarily UTF-8
  else
    st.bind(index, nullptr);
}

void bind_length(Statement& st, int index, const TrackData& data) {
  if (data.length)
    st.bind(index, *data.length);
  else
    st.bind(index, nullptr);
}

} // namespace

TrackWriter::TrackWriter(Database& db, BatchTransaction& batch, std::int64_t generation)
    : batch_(batch), generation_(generation),
      insert_track_(
          db.cached("INSERT INTO tracks (name, dir, root, size, mtime, length, added, scan, path)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                    " ON CONFLICT (name) DO UPDATE SET dir = excluded.dir, root = excluded.root,"
                    " size = excluded.size, mtime = excluded.mtime, length = excluded.length,"
                    " scan = excluded.scan, path = excluded.path"
                    " RETURNING id, added")),
      update_track_(db.cached("UPDATE tracks SET dir = ?2, size = ?3, mtime = ?4, length = ?5,"
                              " scan = ?6, path = ?7 WHERE id = ?1")),
      delete_track_(db.cached("DELETE FROM tracks WHERE id = ?1")),
      insert_tag_(db.cached("INSERT OR REPLACE INTO file_tags (track, name, value)"
                            " VALUES (?1, ?2, ?3)")),
      delete_tags_(db.cached("DELETE FROM file_tags WHERE track = ?1")),
      insert_words_(db.cached("INSERT OR REPLACE INTO search (rowid, words) VALUES (?1, ?2)")),
      delete_words_(db.cached("DELETE FROM search WHERE rowid = ?1")) {
  batch_.before_commit([this] { write_words(); });
}

TrackWriter::~TrackWriter() {
  batch_.before_commit(nullptr);
}

std::int64_t TrackWriter::add(const TrackRecord& track, std::int64_t added) {
  batch_.before_write();
  Statement& st = insert_track_;
  st.reset();
  st.bind(1, track.name).bind(2, track.dir).bind(3, track.root);
  st.bind(4, track.size).bind(5, track.mtime_ns);
  bind_length(st, 6, *track.data);
  st.bind(7, added).bind(8, generation_);
  bind_path(st, 9, track.path);
  st.step();
  std::int64_t id = st.column_int(0);
  bool existed = st.column_int(1) != added;
  st.reset();
  // A row that was already there has old tags to replace.
  if (existed) delete_tags(id);
  write_tags(id, track);
  pend(id).words.assign(track.words);
  batch_.after_write();
  return id;
}

void TrackWriter::update(std::int64_t id, const TrackRecord& track) {
  batch_.before_write();
  Statement& st = update_track_;
  st.reset();
  st.bind(1, id).bind(2, track.dir).bind(3, track.size).bind(4, track.mtime_ns);
  bind_length(st, 5, *track.data);
  st.bind(6, generation_);
  bind_path(st, 7, track.path);
  st.run();
  st.reset();
  delete_tags(id);
  write_tags(id, track);
  pend(id).words.assign(track.words);
  batch_.after_write();
}

void TrackWriter::remove(std::int64_t id) {
  batch_.before_write();
  // file_tags rows go with it: ON DELETE CASCADE.
  delete_track_.reset();
  delete_track_.bind(1, id).run();
  pend(id).remove = true;
  batch_.after_write();
}

void TrackWriter::delete_tags(std::int64_t id) {
  delete_tags_.reset();
  delete_tags_.bind(1, id).run();
}

void TrackWriter::write_tags(std::int64_t id, const TrackRecord& track) {
  for (const auto& [name, value] : track.data->tags) {
    insert_tag_.reset();
    insert_tag_.bind(1, id).bind(2, name).bind(3, value).run();
  }
}

TrackWriter::PendingWords& TrackWriter::pend(std::int64_t id) {
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  PendingWords& p = pending_[pending_count_++];
  p.id = id;
  p.remove = false;
  p.words.clear();
  return p;
}

void TrackWriter::write_words() {
  // In order: a row deleted and written again in one batch ends up written.
  for (std::size_t i = 0; i < pending_count_; ++i) {
    const PendingWords& p = pending_[i];
    Statement& st = p.remove ? delete_words_ : insert_words_;
    st.reset();
    st.bind(1, p.id);
    if (!p.remove) st.bind(2, p.words);
    st.run();
  }
  insert_words_.reset();
  delete_words_.reset();
  pending_count_ = 0;
}

} // namespace disorder
