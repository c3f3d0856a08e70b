// Scheduled events (disorder_protocol(5) schedule-add): something to do at
// a wall-clock time on behalf of a user -- play a track, set or unset a
// global preference.  Each event is written to the database before anyone
// is told it exists and removed from it before it runs, so the schedule
// outlives restarts and kill -9, and an event never runs twice.
//
// Loop thread only.  What an event does is not known here: start() is
// given the function that runs one (server/commands/schedule.cpp).
#pragma once

#include "event_loop.hpp"
#include "sqlite.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace disorder {

// disorder_protocol(5): what becomes of an event that fell due while the
// server was down.  normal ones run when it starts; junk ones are dropped.
enum class SchedulePriority { junk, normal };

const char* to_string(SchedulePriority p);
// nullopt for anything but "junk" and "normal".
std::optional<SchedulePriority> schedule_priority_from_string(std::string_view s);

struct ScheduledEvent {
  std::string id;
  std::int64_t when = 0; // seconds since the epoch
  std::string who;       // the user who made it; it runs as them
  SchedulePriority priority = SchedulePriority::normal;
  std::string action;               // "play" or "set-global"
  std::string track;                // play
  std::string key;                  // set-global
  std::optional<std::string> value; // set-global; nullopt unsets key

  // The key/value pairs of schedule-get.
  std::vector<std::pair<std::string, std::string>> details() const;
};

class Schedule {
public:
  using Runner = std::function<void(const ScheduledEvent&)>;

  // schedule-add refuses a user's event beyond this many: the schedule
  // lives in memory as well as in the database.
  static constexpr std::size_t kMaxPerUser = 1000;

  // How long the timer sleeps at most before it looks at the wall clock
  // again: the timer runs on the monotonic clock, events are due at a
  // wall-clock time, and the wall clock may be set meanwhile.
  static constexpr std::chrono::seconds kLongestWait{30};
  // After the database refused to let an event go (a full disk), the next
  // attempt.
  static constexpr std::chrono::seconds kRetryAfter{10};

  // Loads the stored events.  Throws DatabaseError.
  Schedule(Database& db, EventLoop& loop);
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;
  ~Schedule();

  // From now on events run through `run`.  First the events already due:
  // junk ones are dropped, normal ones run, oldest first.  Called once,
  // when the rest of the server is ready.
  void start(Runner run);

  // Stores e under a fresh ID (e.id is ignored) and returns the ID.
  // Throws DatabaseError, having stored nothing, if it cannot be saved.
  std::string add(ScheduledEvent e);
  // False if there is no such event.  Throws DatabaseError.
  bool remove(const std::string& id);
  const ScheduledEvent* find(const std::string& id) const;
  // Every event's ID, soonest first.
  std::vector<std::string> ids() const;
  // How many events `who` has made.
  std::size_t count_of(const std::string& who) const;

private:
  void load();
  void arm();
  // Runs (or, at startup, drops) every event due at `now`, oldest first.
  void run_due(bool starting);
  std::string new_id() const;

  Database& db_;
  EventLoop& loop_;
  Runner run_;
  std::map<std::string, ScheduledEvent> events_;
  std::unique_ptr<Event> timer_;
  bool retrying_ = false;
};

} // namespace disorder
