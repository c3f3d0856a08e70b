// PlayQueue against a real SQLite database with the server's schema, when
// the database cannot be written: a client's change is refused and leaves
// memory and the database as they were; what has happened (a track started
// or ended) is kept in memory and saved once the database can be written.
#include "server/db/schema.hpp"
#include "server/queue/play_queue.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using disorder::Database;
using disorder::DatabaseError;
using disorder::EntryState;
using disorder::Origin;
using disorder::PlayQueue;
using disorder::QueueEntry;

class Home {
public:
  Home() {
    char dir[] = "/tmp/play-queue-test-XXXXXX";
    dir_ = ::mkdtemp(dir);
    db_ = std::make_unique<Database>(dir_ + "/db");
    disorder::migrate_schema(*db_);
  }
  ~Home() {
    db_.reset();
    const std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  Database& db() { return *db_; }
  // Writes fail as they do on a read-only database, until writable().
  void read_only() { db_->exec("PRAGMA query_only = 1"); }
  void writable() { db_->exec("PRAGMA query_only = 0"); }

private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

std::vector<std::string> ids(const std::vector<QueueEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.id);
  return out;
}

std::vector<std::string> tracks(const std::vector<QueueEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.track);
  return out;
}

const std::vector<std::string> kTwo{"/m/a", "/m/b"};

TEST(PlayQueue, UserPicksGoBeforeTheTrailingRandomPicks) {
  Home home;
  PlayQueue q(home.db());
  EXPECT_EQ(q.before_random_picks(), 0u);
  const std::vector<std::string> r{"/m/r1", "/m/r2"};
  q.insert(0, r, "", Origin::random);
  EXPECT_EQ(q.before_random_picks(), 0u);
  const std::vector<std::string> a{"/m/a"}, b{"/m/b"};
  q.insert(q.before_random_picks(), a, "amy", Origin::picked);
  q.insert(q.before_random_picks(), b, "bo", Origin::picked);
  // Picks in the order they were made, the random picks in theirs.
  EXPECT_EQ(tracks(q.entries()), (std::vector<std::string>{"/m/a", "/m/b", "/m/r1", "/m/r2"}));
  // Only the trailing run counts: a random pick ahead of a user's pick (or
  // one adopted) stays ahead.
  const std::vector<std::string> r3{"/m/r3"};
  q.insert(0, r3, "", Origin::random);
  EXPECT_TRUE(q.adopt(q.entries()[3].id, "cy")); // r1
  EXPECT_EQ(q.before_random_picks(), 4u);
}

TEST(PlayQueue, ClientChangesThatCannotBeSavedChangeNothing) {
  Home home;
  PlayQueue q(home.db());
  const auto added = q.insert(0, kTwo, "amy", Origin::picked);
  home.read_only();
  const std::vector<std::string> more{"/m/c", "/m/d"};
  EXPECT_THROW(q.insert(1, more, "amy", Origin::picked), DatabaseError);
  EXPECT_THROW(q.remove(added[0]), DatabaseError);
  EXPECT_THROW(q.move(added[1], 1), DatabaseError);
  EXPECT_THROW(q.move_after("", std::vector<std::string>{added[1]}), DatabaseError);
  EXPECT_THROW(q.adopt(added[0], "bo"), DatabaseError);
  EXPECT_EQ(ids(q.entries()), added);
  EXPECT_EQ(q.entries()[0].submitter, "amy");
  EXPECT_EQ(q.entries()[0].origin, Origin::picked);
  EXPECT_TRUE(q.saved());
  home.writable();
  // What the database holds is the same.
  PlayQueue reloaded(home.db());
  EXPECT_EQ(ids(reloaded.entries()), added);
  EXPECT_EQ(tracks(reloaded.entries()), kTwo);
}

TEST(PlayQueue, ARefusedScratchLeavesTheTrackPlaying) {
  Home home;
  PlayQueue q(home.db());
  const auto added = q.insert(0, kTwo, "amy", Origin::picked);
  q.start_head(1000);
  home.read_only();
  EXPECT_THROW(q.finish_playing(EntryState::scratched, std::nullopt, "amy", 10,
                                PlayQueue::OnFailure::refuse),
               DatabaseError);
  ASSERT_TRUE(q.playing());
  EXPECT_EQ(q.playing()->id, added[0]);
  EXPECT_TRUE(q.recent().empty());
}

TEST(PlayQueue, WhatHappenedIsKeptAndSavedLater) {
  Home home;
  PlayQueue q(home.db());
  const auto added = q.insert(0, kTwo, "amy", Origin::picked);
  home.read_only();
  q.start_head(1000);
  q.finish_playing(EntryState::ok, 0, "", 10, PlayQueue::OnFailure::defer);
  q.start_head(1001);
  EXPECT_FALSE(q.saved());
  EXPECT_FALSE(q.sync());
  ASSERT_TRUE(q.playing());
  EXPECT_EQ(q.playing()->id, added[1]);
  ASSERT_EQ(q.recent().size(), 1u);
  EXPECT_EQ(q.recent()[0].id, added[0]);
  EXPECT_TRUE(q.entries().empty());
  home.writable();
  EXPECT_TRUE(q.sync());
  EXPECT_TRUE(q.saved());
  // After a restart: the finished track is recent, and the one that was
  // playing plays again.
  PlayQueue reloaded(home.db());
  ASSERT_EQ(reloaded.recent().size(), 1u);
  EXPECT_EQ(reloaded.recent()[0].id, added[0]);
  EXPECT_EQ(reloaded.recent()[0].state, EntryState::ok);
  EXPECT_EQ(ids(reloaded.entries()), std::vector<std::string>{added[1]});
}

TEST(PlayQueue, AClientChangeAfterAnUnsavedOneSavesBoth) {
  Home home;
  PlayQueue q(home.db());
  const auto added = q.insert(0, kTwo, "amy", Origin::picked);
  q.start_head(1000);
  home.read_only();
  q.finish_playing(EntryState::ok, 0, "", 10, PlayQueue::OnFailure::defer);
  home.writable();
  const auto c = q.insert(1, std::vector<std::string>{"/m/c"}, "bo", Origin::picked);
  EXPECT_TRUE(q.saved());
  PlayQueue reloaded(home.db());
  ASSERT_EQ(reloaded.recent().size(), 1u);
  EXPECT_EQ(reloaded.recent()[0].id, added[0]);
  EXPECT_EQ(ids(reloaded.entries()), (std::vector<std::string>{added[1], c[0]}));
}

} // namespace
