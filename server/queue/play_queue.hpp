// The play queue, the playing track and the recently-played list.  Kept in
// memory for speed and written through to SQLite on every change, so that
// after a restart (even after kill -9) the same queue is there in the same
// order, and the interrupted track plays again.
#pragma once

#include "queue/queue_entry.hpp"
#include "sqlite.hpp"

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace disorder {

class PlayQueue {
public:
  explicit PlayQueue(Database& db);

  // Upcoming entries, the next to play first.
  const std::vector<QueueEntry>& entries() const { return queue_; }
  const std::optional<QueueEntry>& playing() const { return playing_; }
  // Oldest first.
  const std::deque<QueueEntry>& recent() const { return recent_; }

  QueueEntry* find(std::string_view id);
  // Position of id in entries(), or -1.
  int index_of(std::string_view id) const;
  // Inserts before entries()[position] (clamped to the end).
  QueueEntry& insert(std::size_t position, std::string track, std::string submitter, Origin origin);
  std::optional<QueueEntry> remove(std::string_view id);
  // Moves id `delta` places towards the head (negative: towards the tail).
  // Returns false if id is not queued.
  bool move(std::string_view id, int delta);
  // Moves ids, in the given order, to just after target (empty: the head).
  // If target is itself listed, they go after the first unlisted entry
  // before it (disorder_protocol(5) moveafter).  Unknown ids are ignored.
  void move_after(std::string_view target, std::span<const std::string> ids);
  // Marks an entry changed (adopt) and persists.
  void changed();

  // The head of the queue becomes the playing entry (state started).
  QueueEntry& start_head(std::int64_t now);
  void set_playing_state(EntryState state);
  void set_sofar(std::int64_t seconds);
  // The playing entry goes to the recent list with the given final state;
  // the list is trimmed to history entries.  Returns the finished entry.
  QueueEntry finish_playing(EntryState state, std::optional<int> wstat, std::string scratched,
                            std::size_t history);
  // The playing entry goes back to the head of the queue (its player was
  // lost: it will be played again from the start).
  void requeue_playing();

private:
  void load();
  void persist_queue();
  std::string new_id();

  Database& db_;
  std::vector<QueueEntry> queue_;
  std::optional<QueueEntry> playing_;
  std::deque<QueueEntry> recent_;
};

} // namespace disorder
