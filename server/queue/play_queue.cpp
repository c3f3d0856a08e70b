// In-memory queue with write-through persistence.
#include "queue/play_queue.hpp"

#include "crypto.hpp"
#include "log.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <ctime>

namespace disorder {

namespace {
constexpr std::int64_t kPlayingPosition = -1;

QueueEntry read_entry(Statement& st, int first) {
  QueueEntry e;
  e.id = st.column_text(first);
  e.track = st.column_text(first + 1);
  e.submitter = st.column_text(first + 2);
  try {
    e.origin = origin_from_string(st.column_text(first + 3));
    e.state = state_from_string(st.column_text(first + 4));
  } catch (const SyntaxError&) {
    // A damaged row still names a track worth keeping.
  }
  e.when = st.column_int(first + 5);
  e.played = st.column_int(first + 6);
  return e;
}
} // namespace

PlayQueue::PlayQueue(Database& db) : db_(db) {
  load();
}

void PlayQueue::load() {
  auto& q = db_.cached("SELECT position, id, track, submitter, origin, state, queued, played, "
                       "sofar FROM queue ORDER BY position");
  while (q.step()) {
    QueueEntry e = read_entry(q, 1);
    e.sofar = q.column_int(8);
    if (q.column_int(0) == kPlayingPosition)
      playing_ = std::move(e);
    else
      queue_.push_back(std::move(e));
  }
  auto& r = db_.cached("SELECT id, track, submitter, origin, state, queued, played, scratched, "
                       "wstat FROM recent ORDER BY seq");
  while (r.step()) {
    QueueEntry e = read_entry(r, 0);
    e.scratched = r.column_text(7);
    if (!r.column_is_null(8)) e.wstat = static_cast<int>(r.column_int(8));
    recent_.push_back(std::move(e));
  }
  // A track that was playing when the server stopped plays again, from its
  // start, before the rest of the queue.
  if (playing_) requeue_playing();
}

PlayQueue::Next PlayQueue::current() const {
  return Next{queue_, playing_, std::nullopt, 0};
}

void PlayQueue::write(const Next& next) {
  auto& add_recent = db_.cached("INSERT INTO recent (id, track, submitter, origin, state, "
                                "queued, played, scratched, wstat) VALUES (?, ?, ?, ?, ?, ?, ?, "
                                "?, ?)");
  auto write_recent = [&](const QueueEntry& e) {
    add_recent.reset();
    add_recent.bind_all(e.id, e.track, e.submitter, to_string(e.origin), to_string(e.state), e.when,
                        e.played, e.scratched);
    if (e.wstat)
      add_recent.bind(9, static_cast<std::int64_t>(*e.wstat));
    else
      add_recent.bind(9, nullptr);
    add_recent.run();
  };
  db_.transaction([&] {
    db_.cached("DELETE FROM queue").run();
    auto write = [&](const QueueEntry& e, std::int64_t position) {
      db_.cached("INSERT INTO queue (position, id, track, submitter, origin, state, queued, "
                 "played, sofar) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind_all(position, e.id, e.track, e.submitter, to_string(e.origin), to_string(e.state),
                    e.when, e.played, e.sofar)
          .run();
    };
    if (next.playing) write(*next.playing, kPlayingPosition);
    for (size_t i = 0; i < next.queue.size(); ++i)
      write(next.queue[i], static_cast<std::int64_t>(i));
    if (unsaved_) {
      // What an earlier failed write left out of the recent list.
      db_.cached("DELETE FROM recent").run();
      for (const auto& e : recent_)
        write_recent(e);
    }
    if (next.finished) {
      write_recent(*next.finished);
      db_.cached("DELETE FROM recent WHERE seq NOT IN (SELECT seq FROM recent ORDER BY seq DESC "
                 "LIMIT ?)")
          .bind(1, static_cast<std::int64_t>(next.history))
          .run();
    }
  });
}

void PlayQueue::apply(Next next, OnFailure on_failure) {
  try {
    write(next);
    if (unsaved_) log_info("the play queue is saved again");
    unsaved_ = false;
  } catch (const DatabaseError& e) {
    if (on_failure == OnFailure::refuse) throw;
    if (!unsaved_) log_error(std::string("saving the play queue (will try again): ") + e.what());
    unsaved_ = true;
  }
  queue_ = std::move(next.queue);
  playing_ = std::move(next.playing);
  if (next.finished) {
    recent_.push_back(std::move(*next.finished));
    while (recent_.size() > next.history)
      recent_.pop_front();
  }
}

bool PlayQueue::sync() {
  if (!unsaved_) return true;
  try {
    write(current());
    unsaved_ = false;
    log_info("the play queue is saved again");
  } catch (const DatabaseError&) {
    // Still failing; apply() has said why.
  }
  return !unsaved_;
}

std::string PlayQueue::new_id(std::span<const QueueEntry> taken) const {
  auto used = [&](const std::string& id) {
    auto same = [&](const QueueEntry& e) { return e.id == id; };
    return find(id) || std::any_of(recent_.begin(), recent_.end(), same) ||
           std::any_of(taken.begin(), taken.end(), same);
  };
  while (true) {
    std::string id = to_hex(random_bytes(6));
    if (!used(id)) return id;
  }
}

const QueueEntry* PlayQueue::find(std::string_view id) const {
  if (playing_ && playing_->id == id) return &*playing_;
  for (auto& e : queue_)
    if (e.id == id) return &e;
  return nullptr;
}

int PlayQueue::index_of(std::string_view id) const {
  for (size_t i = 0; i < queue_.size(); ++i)
    if (queue_[i].id == id) return static_cast<int>(i);
  return -1;
}

std::size_t PlayQueue::before_random_picks() const {
  std::size_t at = queue_.size();
  while (at > 0 && queue_[at - 1].origin == Origin::random)
    --at;
  return at;
}

std::vector<std::string> PlayQueue::insert(std::size_t position,
                                           std::span<const std::string> tracks,
                                           const std::string& submitter, Origin origin) {
  std::vector<QueueEntry> added;
  std::vector<std::string> ids;
  for (const auto& track : tracks) {
    QueueEntry e;
    e.id = new_id(added);
    e.track = track;
    e.submitter = submitter;
    e.origin = origin;
    e.when = wall_seconds();
    ids.push_back(e.id);
    added.push_back(std::move(e));
  }
  Next next = current();
  position = std::min(position, next.queue.size());
  next.queue.insert(next.queue.begin() + static_cast<std::ptrdiff_t>(position),
                    std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()));
  apply(std::move(next), OnFailure::refuse);
  return ids;
}

std::optional<QueueEntry> PlayQueue::remove(std::string_view id) {
  int i = index_of(id);
  if (i < 0) return std::nullopt;
  Next next = current();
  QueueEntry e = std::move(next.queue[static_cast<size_t>(i)]);
  next.queue.erase(next.queue.begin() + i);
  apply(std::move(next), OnFailure::refuse);
  return e;
}

bool PlayQueue::move(std::string_view id, int delta) {
  int i = index_of(id);
  if (i < 0) return false;
  int target = std::clamp(i - delta, 0, static_cast<int>(queue_.size()) - 1);
  Next next = current();
  QueueEntry e = std::move(next.queue[static_cast<size_t>(i)]);
  next.queue.erase(next.queue.begin() + i);
  next.queue.insert(next.queue.begin() + target, std::move(e));
  apply(std::move(next), OnFailure::refuse);
  return true;
}

void PlayQueue::move_after(std::string_view target, std::span<const std::string> ids) {
  auto listed = [&](std::string_view id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  // Where to insert: after `target`, or after the first unlisted entry
  // before it when target is itself being moved.
  std::string anchor;
  if (!target.empty()) {
    int t = index_of(target);
    if (t >= 0) {
      if (!listed(target)) {
        anchor = std::string(target);
      } else {
        for (int k = t - 1; k >= 0; --k) {
          if (!listed(queue_[static_cast<size_t>(k)].id)) {
            anchor = queue_[static_cast<size_t>(k)].id;
            break;
          }
        }
      }
    }
  }
  Next next = current();
  auto position = [&](std::string_view id) {
    auto it = std::find_if(next.queue.begin(), next.queue.end(),
                           [&](const QueueEntry& e) { return e.id == id; });
    return it;
  };
  std::vector<QueueEntry> moving;
  for (const auto& id : ids) {
    auto it = position(id);
    if (it == next.queue.end()) continue;
    moving.push_back(std::move(*it));
    next.queue.erase(it);
  }
  auto at = anchor.empty() ? next.queue.begin() : position(anchor) + 1;
  next.queue.insert(at, std::make_move_iterator(moving.begin()),
                    std::make_move_iterator(moving.end()));
  apply(std::move(next), OnFailure::refuse);
}

bool PlayQueue::adopt(std::string_view id, const std::string& user) {
  int i = index_of(id);
  if (i < 0) return false;
  Next next = current();
  QueueEntry& e = next.queue[static_cast<size_t>(i)];
  e.origin = Origin::adopted;
  e.submitter = user;
  apply(std::move(next), OnFailure::refuse);
  return true;
}

const QueueEntry& PlayQueue::start_head(std::int64_t now) {
  Next next = current();
  next.playing = std::move(next.queue.front());
  next.queue.erase(next.queue.begin());
  next.playing->state = EntryState::started;
  next.playing->played = now;
  next.playing->sofar = 0;
  apply(std::move(next), OnFailure::defer);
  return *playing_;
}

void PlayQueue::set_playing_state(EntryState state) {
  if (playing_) playing_->state = state;
}

void PlayQueue::set_sofar(std::int64_t seconds) {
  if (playing_) playing_->sofar = seconds;
}

QueueEntry PlayQueue::finish_playing(EntryState state, std::optional<int> wstat,
                                     std::string scratched, std::size_t history,
                                     OnFailure on_failure) {
  Next next = current();
  QueueEntry e = std::move(*next.playing);
  next.playing.reset();
  e.state = state;
  e.wstat = wstat;
  e.scratched = std::move(scratched);
  next.finished = e;
  next.history = history;
  apply(std::move(next), on_failure);
  return e;
}

void PlayQueue::requeue_playing() {
  if (!playing_) return;
  Next next = current();
  QueueEntry e = std::move(*next.playing);
  next.playing.reset();
  e.state = EntryState::unplayed;
  e.played = 0;
  e.sofar = 0;
  next.queue.insert(next.queue.begin(), std::move(e));
  apply(std::move(next), OnFailure::defer);
}

} // namespace disorder
