// The rescanner's writes to the tracks, file_tags and search tables.  Every
// statement is prepared once; writes go through a BatchTransaction.  A track
// row, its tags and its search row always change together, in one batch.
//
// Search rows are written all together at the end of each batch.  SQLite
// opens a statement savepoint for many writes (an upsert, a cascading
// delete), and FTS5 answers every savepoint by flushing its pending terms
// into a new index segment: interleaved with the other writes, each track
// made a segment of its own and the index spent its time merging them.
#pragma once

#include "batch_transaction.hpp"
#include "sqlite.hpp"
#include "track_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// One track as it is written.
struct TrackRecord {
  std::string_view name; // NFC UTF-8 track name
  std::string_view dir;  // dir_part(name)
  std::string_view root; // the collection root it was found under
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  // The file's path when its bytes differ from the name (another encoding,
  // a name that was not NFC): the server needs it to open the file.
  std::optional<std::string_view> path;
  const TrackData* data = nullptr;
  std::string_view words; // for the search index
};

class TrackWriter {
public:
  // generation: this rescan's number, written to tracks.scan.
  TrackWriter(Database& db, BatchTransaction& batch, std::int64_t generation);
  TrackWriter(const TrackWriter&) = delete;
  TrackWriter& operator=(const TrackWriter&) = delete;
  ~TrackWriter();

  // Inserts a new track first seen at `added` (seconds since the epoch) and
  // returns its id.  If the name is already in the table (its collection
  // line changed root) that row is updated instead and keeps its `added`.
  std::int64_t add(const TrackRecord& track, std::int64_t added);
  void update(std::int64_t id, const TrackRecord& track);
  void remove(std::int64_t id);

private:
  // A search row to write at the end of the batch: words replace the row,
  // or the row is deleted.
  struct PendingWords {
    std::int64_t id = 0;
    bool remove = false;
    std::string words;
  };

  void write_tags(std::int64_t id, const TrackRecord& track);
  void delete_tags(std::int64_t id);
  PendingWords& pend(std::int64_t id);
  void write_words();

  BatchTransaction& batch_;
  std::int64_t generation_;
  Statement& insert_track_;
  Statement& update_track_;
  Statement& delete_track_;
  Statement& insert_tag_;
  Statement& delete_tags_;
  Statement& insert_words_;
  Statement& delete_words_;
  // Pending rows: the first pending_count_ entries; the rest keep their
  // buffers for the next batch.
  std::vector<PendingWords> pending_;
  std::size_t pending_count_ = 0;
};

} // namespace disorder
