// In-memory queue with write-through persistence.
#include "queue/play_queue.hpp"

#include "crypto.hpp"

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

void PlayQueue::persist_queue() {
  db_.transaction([&] {
    db_.cached("DELETE FROM queue").run();
    auto write = [&](const QueueEntry& e, std::int64_t position) {
      db_.cached("INSERT INTO queue (position, id, track, submitter, origin, state, queued, "
                 "played, sofar) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind_all(position, e.id, e.track, e.submitter, to_string(e.origin), to_string(e.state),
                    e.when, e.played, e.sofar)
          .run();
    };
    if (playing_) write(*playing_, kPlayingPosition);
    for (size_t i = 0; i < queue_.size(); ++i)
      write(queue_[i], static_cast<std::int64_t>(i));
  });
}

std::string PlayQueue::new_id() {
  while (true) {
    std::string id = to_hex(random_bytes(6));
    if (!find(id) && std::none_of(recent_.begin(), recent_.end(),
                                  [&](const QueueEntry& e) { return e.id == id; }))
      return id;
  }
}

QueueEntry* PlayQueue::find(std::string_view id) {
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

QueueEntry& PlayQueue::insert(std::size_t position, std::string track, std::string submitter,
                              Origin origin) {
  QueueEntry e;
  e.id = new_id();
  e.track = std::move(track);
  e.submitter = std::move(submitter);
  e.origin = origin;
  e.when = static_cast<std::int64_t>(std::time(nullptr));
  position = std::min(position, queue_.size());
  auto it = queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(position), std::move(e));
  size_t index = static_cast<size_t>(it - queue_.begin());
  persist_queue();
  return queue_[index];
}

std::optional<QueueEntry> PlayQueue::remove(std::string_view id) {
  int i = index_of(id);
  if (i < 0) return std::nullopt;
  QueueEntry e = std::move(queue_[static_cast<size_t>(i)]);
  queue_.erase(queue_.begin() + i);
  persist_queue();
  return e;
}

bool PlayQueue::move(std::string_view id, int delta) {
  int i = index_of(id);
  if (i < 0) return false;
  int target = std::clamp(i - delta, 0, static_cast<int>(queue_.size()) - 1);
  QueueEntry e = std::move(queue_[static_cast<size_t>(i)]);
  queue_.erase(queue_.begin() + i);
  queue_.insert(queue_.begin() + target, std::move(e));
  persist_queue();
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
  std::vector<QueueEntry> moving;
  for (const auto& id : ids) {
    int i = index_of(id);
    if (i < 0) continue;
    moving.push_back(std::move(queue_[static_cast<size_t>(i)]));
    queue_.erase(queue_.begin() + i);
  }
  size_t at = 0;
  if (!anchor.empty()) at = static_cast<size_t>(index_of(anchor) + 1);
  queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(at),
                std::make_move_iterator(moving.begin()), std::make_move_iterator(moving.end()));
  persist_queue();
}

void PlayQueue::changed() {
  persist_queue();
}

QueueEntry& PlayQueue::start_head(std::int64_t now) {
  playing_ = std::move(queue_.front());
  queue_.erase(queue_.begin());
  playing_->state = EntryState::started;
  playing_->played = now;
  playing_->sofar = 0;
  persist_queue();
  return *playing_;
}

void PlayQueue::set_playing_state(EntryState state) {
  if (!playing_) return;
  playing_->state = state;
  db_.cached("UPDATE queue SET state = ? WHERE id = ?")
      .bind_all(to_string(state), playing_->id)
      .run();
}

void PlayQueue::set_sofar(std::int64_t seconds) {
  if (!playing_) return;
  // Memory only: a track that was playing when the server stopped plays
  // again from its start (load()), so a stored sofar is never read, and
  // this comes once a second.
  playing_->sofar = seconds;
}

QueueEntry PlayQueue::finish_playing(EntryState state, std::optional<int> wstat,
                                     std::string scratched, std::size_t history) {
  QueueEntry e = std::move(*playing_);
  playing_.reset();
  e.state = state;
  e.wstat = wstat;
  e.scratched = std::move(scratched);
  recent_.push_back(e);
  while (recent_.size() > history)
    recent_.pop_front();
  db_.transaction([&] {
    db_.cached("DELETE FROM queue WHERE id = ?").bind(1, e.id).run();
    auto& ins = db_.cached("INSERT INTO recent (id, track, submitter, origin, state, queued, "
                           "played, scratched, wstat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind_all(e.id, e.track, e.submitter, to_string(e.origin), to_string(e.state), e.when,
                 e.played, e.scratched);
    if (e.wstat)
      ins.bind(9, static_cast<std::int64_t>(*e.wstat));
    else
      ins.bind(9, nullptr);
    ins.run();
    db_.cached("DELETE FROM recent WHERE seq NOT IN (SELECT seq FROM recent ORDER BY seq DESC "
               "LIMIT ?)")
        .bind(1, static_cast<std::int64_t>(history))
        .run();
  });
  return e;
}

void PlayQueue::requeue_playing() {
  if (!playing_) return;
  QueueEntry e = std::move(*playing_);
  playing_.reset();
  e.state = EntryState::unplayed;
  e.played = 0;
  e.sofar = 0;
  queue_.insert(queue_.begin(), std::move(e));
  persist_queue();
}

} // namespace disorder
