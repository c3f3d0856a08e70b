// The play queue, the playing track and the recently-played list.  Kept in
// memory for speed and written through to SQLite on every change, so that
// after a restart (even after kill -9) the same queue is there in the same
// order, and the interrupted track plays again.
//
// Memory and the database never disagree about what a client was told.  A
// change a client asks for is written first and made in memory only once
// it is committed: when the write fails (a full disk, a read-only database,
// a lock held too long) it throws DatabaseError and nothing has changed.
// What has already happened (a track started or ended) cannot be refused:
// such a change is made in memory whatever the database says and, if the
// write fails, written later by sync() or with the next change.
//
// Loop thread only.
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
  // What a change does when its write fails.
  enum class OnFailure {
    refuse, // throw DatabaseError and change nothing (a client's request)
    defer,  // change memory anyway and write it later (something that happened)
  };

  // Loads the stored queue; a track that was playing goes back to the head.
  explicit PlayQueue(Database& db);

  // Upcoming entries, the next to play first.
  const std::vector<QueueEntry>& entries() const { return queue_; }
  const std::optional<QueueEntry>& playing() const { return playing_; }
  // Oldest first.
  const std::deque<QueueEntry>& recent() const { return recent_; }

  // The playing or a queued entry.
  const QueueEntry* find(std::string_view id) const;
  // Position of id in entries(), or -1.
  int index_of(std::string_view id) const;
  // Where a user's pick goes (disorder_protocol(5) play): before the
  // trailing run of random picks, after every other entry, so that it does
  // not wait behind tracks nobody chose.  Picks keep the order they were
  // made in, and so do the random picks behind them.
  std::size_t before_random_picks() const;

  // --- Changes asked for by clients: all or nothing (OnFailure::refuse).
  // Inserts tracks, in order, before entries()[position] (clamped to the
  // end).  Returns their IDs.
  std::vector<std::string> insert(std::size_t position, std::span<const std::string> tracks,
                                  const std::string& submitter, Origin origin);
  std::optional<QueueEntry> remove(std::string_view id);
  // Moves id `delta` places towards the head (negative: towards the tail).
  // Returns false if id is not queued.
  bool move(std::string_view id, int delta);
  // Moves ids, in the given order, to just after target (empty: the head).
  // If target is itself listed, they go after the first unlisted entry
  // before it (disorder_protocol(5) moveafter).  Unknown ids are ignored.
  void move_after(std::string_view target, std::span<const std::string> ids);
  // A queued entry becomes user's own pick.  False if id is not queued.
  bool adopt(std::string_view id, const std::string& user);

  // --- The scheduler's changes.
  // The head of the queue becomes the playing entry (state started): the
  // player has started it (OnFailure::defer).
  const QueueEntry& start_head(std::int64_t now);
  // Memory only: a track that was playing when the server stopped plays
  // again from its start (see the constructor), so neither is ever read
  // back, and sofar comes once a second.
  void set_playing_state(EntryState state);
  void set_sofar(std::int64_t seconds);
  // The playing entry goes to the recent list with the given final state;
  // the list is trimmed to history entries.  Returns the finished entry.
  QueueEntry finish_playing(EntryState state, std::optional<int> wstat, std::string scratched,
                            std::size_t history, OnFailure on_failure);
  // The playing entry goes back to the head of the queue (its player was
  // lost: it will be played again from the start; OnFailure::defer).
  void requeue_playing();

  // True when the database holds what memory holds.
  bool saved() const { return !unsaved_; }
  // Writes what a deferred change left unwritten.  Returns saved().
  bool sync();

private:
  // The queue after a change, and the entry that joins the recent list.
  struct Next {
    std::vector<QueueEntry> queue;
    std::optional<QueueEntry> playing;
    std::optional<QueueEntry> finished;
    std::size_t history = 0;
  };
  void load();
  // Writes next in one transaction; then makes it the state in memory
  // (for OnFailure::defer, even when the write failed).
  void apply(Next next, OnFailure on_failure);
  void write(const Next& next);
  // A fresh ID, not used in memory nor by any of taken.
  std::string new_id(std::span<const QueueEntry> taken) const;
  Next current() const;

  Database& db_;
  std::vector<QueueEntry> queue_;
  std::optional<QueueEntry> playing_;
  std::deque<QueueEntry> recent_;
  // A deferred change was not written: the next write replaces both tables
  // whole.
  bool unsaved_ = false;
};

} // namespace disorder
