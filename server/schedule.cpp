// The stored schedule of events and the one timer that runs them.
#include "schedule.hpp"

#include "db/schema.hpp"

#include "crypto.hpp"
#include "log.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <ctime>

namespace disorder {

namespace {

// Soonest first; events due at the same second in ID order, so that the
// order is the same however often they are looked at.
bool sooner(const ScheduledEvent* a, const ScheduledEvent* b) {
  return a->when != b->when ? a->when < b->when : a->id < b->id;
}

std::string describe(const ScheduledEvent& e) {
  std::string what = e.action == "play" ? "play " + e.track
                     : e.value          ? "set-global " + e.key + " " + *e.value
                                        : "set-global " + e.key + " (unset)";
  return "scheduled event " + e.id + " of " + e.who + " (" + what + ", due " +
         std::to_string(e.when) + ")";
}

} // namespace

const char* to_string(SchedulePriority p) {
  return p == SchedulePriority::junk ? "junk" : "normal";
}

std::optional<SchedulePriority> schedule_priority_from_string(std::string_view s) {
  if (s == "junk") return SchedulePriority::junk;
  if (s == "normal") return SchedulePriority::normal;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> ScheduledEvent::details() const {
  std::vector<std::pair<std::string, std::string>> d{
      {"action", action},
      {"when", std::to_string(when)},
      {"who", who},
      {"priority", to_string(priority)},
  };
  if (action == "play") {
    d.emplace_back("track", track);
  } else {
    d.emplace_back("key", key);
    if (value) d.emplace_back("value", *value);
  }
  return d;
}

Schedule::Schedule(Database& db, EventLoop& loop) : db_(db), loop_(loop) {
  load();
  timer_ = Event::timer(loop_, [this](short) {
    retrying_ = false;
    run_due(false);
    if (!retrying_) arm();
  });
}

Schedule::~Schedule() = default;

void Schedule::load() {
  auto& st = db_.cached("SELECT id, due, who, priority, action, track, key, value FROM schedule");
  while (st.step()) {
    ScheduledEvent e;
    e.id = st.column_text(0);
    e.when = st.column_int(1);
    e.who = st.column_text(2);
    // Only this server writes the table, and only junk or normal.
    e.priority =
        schedule_priority_from_string(st.column_text(3)).value_or(SchedulePriority::normal);
    e.action = st.column_text(4);
    if (!st.column_is_null(5)) e.track = st.column_text(5);
    if (!st.column_is_null(6)) e.key = st.column_text(6);
    if (!st.column_is_null(7)) e.value = st.column_text(7);
    events_.emplace(e.id, std::move(e));
  }
  st.reset();
}

void Schedule::start(Runner run) {
  run_ = std::move(run);
  run_due(true);
  if (!retrying_) arm();
}

std::string Schedule::new_id() const {
  while (true) {
    std::string id = to_hex(random_bytes(6));
    if (!events_.contains(id)) return id;
  }
}

std::string Schedule::add(ScheduledEvent e) {
  e.id = new_id();
  insert_schedule_row(db_, e.id, e.when, e.who, to_string(e.priority), e.action, e.track, e.key,
                      e.value);
  std::string id = e.id;
  events_.emplace(id, std::move(e));
  if (run_ && !retrying_) arm();
  return id;
}

bool Schedule::remove(const std::string& id) {
  if (!events_.contains(id)) return false;
  db_.cached("DELETE FROM schedule WHERE id = ?").bind(1, id).run();
  events_.erase(id);
  if (run_ && !retrying_) arm();
  return true;
}

const ScheduledEvent* Schedule::find(const std::string& id) const {
  auto it = events_.find(id);
  return it == events_.end() ? nullptr : &it->second;
}

std::vector<std::string> Schedule::ids() const {
  std::vector<const ScheduledEvent*> all;
  for (const auto& [id, e] : events_)
    all.push_back(&e);
  std::sort(all.begin(), all.end(), sooner);
  std::vector<std::string> out;
  for (const auto* e : all)
    out.push_back(e->id);
  return out;
}

std::size_t Schedule::count_of(const std::string& who) const {
  return static_cast<std::size_t>(std::count_if(
      events_.begin(), events_.end(), [&](const auto& kv) { return kv.second.who == who; }));
}

void Schedule::arm() {
  timer_->remove();
  if (events_.empty()) return;
  std::int64_t first = events_.begin()->second.when;
  for (const auto& [id, e] : events_)
    first = std::min(first, e.when);
  using namespace std::chrono;
  // The event is due at the start of its second.  Compared in seconds
  // first: a time centuries away does not fit in microseconds.
  const auto since_epoch = system_clock::now().time_since_epoch();
  const std::int64_t now_s = duration_cast<seconds>(since_epoch).count();
  microseconds wait = duration_cast<microseconds>(kLongestWait);
  if (first <= now_s)
    wait = microseconds(0);
  else if (first - now_s <= kLongestWait.count())
    wait = std::max(microseconds(0), duration_cast<microseconds>(seconds(first) - since_epoch));
  timer_->add(wait);
}

void Schedule::run_due(bool starting) {
  const std::int64_t now = wall_seconds();
  std::vector<const ScheduledEvent*> due;
  for (const auto& [id, e] : events_)
    if (e.when <= now) due.push_back(&e);
  std::sort(due.begin(), due.end(), sooner);
  for (const ScheduledEvent* p : due) {
    ScheduledEvent e = *p;
    // Gone from the database first: should the server die while the event
    // runs, it does not run again at the next start.
    try {
      db_.cached("DELETE FROM schedule WHERE id = ?").bind(1, e.id).run();
    } catch (const std::exception& ex) {
      log_error("cannot remove " + describe(e) + " from the database, so it waits: " + ex.what());
      retrying_ = true;
      timer_->remove();
      timer_->add(kRetryAfter);
      return;
    }
    events_.erase(e.id);
    // disorder_protocol(5): junk events found in the past at startup are
    // discarded; normal ones run, however late.
    if (starting && e.priority == SchedulePriority::junk && e.when < now) {
      log_info("dropped " + describe(e) + ": it fell due while the server was down");
      continue;
    }
    log_info("running " + describe(e));
    try {
      run_(e);
    } catch (const std::exception& ex) {
      log_error(describe(e) + " failed: " + ex.what());
    }
  }
}

} // namespace disorder
