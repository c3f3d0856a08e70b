// Schedule against a real SQLite database with the server's schema and a
// real event loop: what a restart finds (junk events in the past dropped,
// normal ones run, oldest first), events firing on the loop at their time,
// and deletion.
#include "server/db/schema.hpp"
#include "server/schedule.hpp"
#include "wall_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using disorder::Database;
using disorder::EventLoop;
using disorder::Schedule;
using disorder::ScheduledEvent;
using disorder::SchedulePriority;

class Home {
public:
  Home() {
    char dir[] = "/tmp/schedule-test-XXXXXX";
    dir_ = ::mkdtemp(dir);
    reopen();
  }
  ~Home() {
    db_.reset();
    const std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  // As a restarted server would find it.
  void reopen() {
    db_.reset();
    db_ = std::make_unique<Database>(dir_ + "/db");
    disorder::migrate_schema(*db_);
  }
  Database& db() { return *db_; }

private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

std::int64_t now() {
  return disorder::wall_seconds();
}

ScheduledEvent play(std::int64_t when, SchedulePriority priority, std::string track) {
  ScheduledEvent e;
  e.when = when;
  e.who = "alice";
  e.priority = priority;
  e.action = "play";
  e.track = std::move(track);
  return e;
}

// The stored events, moved into the past as if the server had been down
// meanwhile.
void age(Database& db, std::int64_t seconds) {
  db.exec("UPDATE schedule SET due = due - " + std::to_string(seconds));
}

TEST(Schedule, EventsSurviveAReopenWithEveryField) {
  Home home;
  EventLoop loop;
  std::string id_play, id_unset, id_set;
  {
    Schedule s(home.db(), loop);
    id_play = s.add(play(now() + 3600, SchedulePriority::junk, "/m/a b.flac"));
    ScheduledEvent set;
    set.when = now() + 7200;
    set.who = "bob";
    set.action = "set-global";
    set.key = "k";
    set.value = "v w";
    id_set = s.add(set);
    set.value.reset();
    set.when = now() + 60;
    id_unset = s.add(set);
  }
  home.reopen();
  Schedule s(home.db(), loop);
  EXPECT_EQ(s.ids(), (std::vector<std::string>{id_unset, id_play, id_set}));
  const ScheduledEvent* p = s.find(id_play);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->who, "alice");
  EXPECT_EQ(p->priority, SchedulePriority::junk);
  EXPECT_EQ(p->track, "/m/a b.flac");
  const ScheduledEvent* set = s.find(id_set);
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->action, "set-global");
  EXPECT_EQ(set->key, "k");
  EXPECT_EQ(set->value, "v w");
  EXPECT_FALSE(s.find(id_unset)->value.has_value());
  auto d = s.find(id_unset)->details();
  EXPECT_EQ(d, (std::vector<std::pair<std::string, std::string>>{
                   {"action", "set-global"},
                   {"when", std::to_string(s.find(id_unset)->when)},
                   {"who", "bob"},
                   {"priority", "normal"},
                   {"key", "k"}}));
}

TEST(Schedule, AtStartJunkEventsInThePastAreDroppedAndNormalOnesRunOldestFirst) {
  Home home;
  EventLoop loop;
  {
    Schedule s(home.db(), loop);
    s.add(play(now() + 100, SchedulePriority::normal, "second"));
    s.add(play(now() + 50, SchedulePriority::normal, "first"));
    s.add(play(now() + 60, SchedulePriority::junk, "junk"));
    s.add(play(now() + 3600, SchedulePriority::junk, "later"));
  }
  age(home.db(), 1000);
  home.reopen();
  std::vector<std::string> ran;
  {
    Schedule s(home.db(), loop);
    s.start([&](const ScheduledEvent& e) { ran.push_back(e.track); });
    EXPECT_EQ(ran, (std::vector<std::string>{"first", "second"}));
    ASSERT_EQ(s.ids().size(), 1u);
    EXPECT_EQ(s.find(s.ids()[0])->track, "later");
  }
  // Run or dropped, they are gone from the database too.
  home.reopen();
  Schedule s(home.db(), loop);
  EXPECT_EQ(s.ids().size(), 1u);
}

TEST(Schedule, AnEventRunsOnTheLoopAtItsTimeAndOnlyOnce) {
  Home home;
  EventLoop loop;
  Schedule s(home.db(), loop);
  std::vector<std::string> ran;
  std::int64_t ran_at = 0;
  s.start([&](const ScheduledEvent& e) {
    ran.push_back(e.track);
    ran_at = now();
    loop.stop();
  });
  const std::int64_t when = now() + 1;
  s.add(play(when, SchedulePriority::junk, "t"));
  // A deadline, should it never fire.
  auto deadline = disorder::Event::timer(loop, [&](short) { loop.stop(); });
  deadline->add(std::chrono::seconds(20));
  loop.run();
  ASSERT_EQ(ran, std::vector<std::string>{"t"});
  EXPECT_GE(ran_at, when);
  EXPECT_TRUE(s.ids().empty());
  home.reopen();
  EXPECT_TRUE(Schedule(home.db(), loop).ids().empty());
}

TEST(Schedule, ADeletedEventNeverRuns) {
  Home home;
  EventLoop loop;
  Schedule s(home.db(), loop);
  std::vector<std::string> ran;
  s.start([&](const ScheduledEvent& e) { ran.push_back(e.track); });
  std::string gone = s.add(play(now() + 1, SchedulePriority::normal, "deleted"));
  s.add(play(now() + 2, SchedulePriority::normal, "kept"));
  EXPECT_TRUE(s.remove(gone));
  EXPECT_FALSE(s.remove(gone));
  EXPECT_EQ(s.find(gone), nullptr);
  EXPECT_EQ(s.count_of("alice"), 1u);
  auto deadline = disorder::Event::timer(loop, [&](short) { loop.stop(); });
  deadline->add(std::chrono::seconds(20));
  // Stop as soon as "kept" has run.
  std::unique_ptr<disorder::Event> watcher;
  watcher = disorder::Event::timer(loop, [&](short) {
    if (!ran.empty())
      loop.stop();
    else
      watcher->add(std::chrono::milliseconds(20));
  });
  watcher->add(std::chrono::milliseconds(20));
  loop.run();
  EXPECT_EQ(ran, std::vector<std::string>{"kept"});
}

} // namespace
