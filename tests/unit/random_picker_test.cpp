// RandomPicker against a real SQLite database with the server's schema:
// weights, new_bias for recently added tracks, pick_at_random, replay_min,
// and drawing several different tracks at once.
#include "server/db/schema.hpp"
#include "server/queue/random_picker.hpp"
#include "wall_clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <unistd.h>

namespace {

using disorder::Config;
using disorder::Database;
using disorder::RandomPicker;

class Collection {
public:
  Collection() {
    char dir[] = "/tmp/random-picker-test-XXXXXX";
    dir_ = ::mkdtemp(dir);
    db_ = std::make_unique<Database>(dir_ + "/db");
    disorder::migrate_schema(*db_);
  }
  ~Collection() {
    db_.reset();
    const std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }

  // A track first seen `age` seconds ago.
  void add(const std::string& name, std::int64_t age) {
    auto& st = db_->cached("INSERT INTO tracks (name, dir, root, size, mtime, added, scan) "
                           "VALUES (?, '/m', '/m', 1, 0, ?, 1)");
    st.bind(1, name).bind(2, disorder::wall_seconds() - age);
    st.run();
  }
  void pref(const std::string& track, const std::string& name, const std::string& value) {
    auto& st = db_->cached("INSERT INTO prefs (track, name, value) VALUES (?, ?, ?)");
    st.bind(1, track).bind(2, name).bind(3, value);
    st.run();
  }
  Database& db() { return *db_; }

private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

constexpr std::int64_t kOld = 30 * 24 * 3600;

// How often each track comes out of `draws` single picks.
std::map<std::string, int> histogram(RandomPicker& picker, const Config& config, int draws) {
  std::map<std::string, int> h;
  for (int i = 0; i < draws; ++i)
    for (const auto& name : picker.pick(config, {}, 1))
      ++h[name];
  return h;
}

TEST(RandomPicker, WeightsSetTheOdds) {
  Collection c;
  c.add("/m/plain", kOld);
  c.add("/m/heavy", kOld);
  c.add("/m/never", kOld);
  c.add("/m/excluded", kOld);
  c.pref("/m/heavy", "weight", "270000"); // three times the default 90000
  c.pref("/m/never", "weight", "0");
  c.pref("/m/excluded", "pick_at_random", "0");
  Config config;
  RandomPicker picker(c.db());
  const auto h = histogram(picker, config, 4000);
  EXPECT_EQ(h.count("/m/never"), 0u);
  EXPECT_EQ(h.count("/m/excluded"), 0u);
  // Expected 1000 and 3000; a binomial's standard deviation here is 27.
  EXPECT_NEAR(h.at("/m/plain"), 1000, 200);
  EXPECT_NEAR(h.at("/m/heavy"), 3000, 200);
}

TEST(RandomPicker, NewBiasFavoursTracksAddedWithinNewBiasAge) {
  Collection c;
  for (int i = 0; i < 9; ++i)
    c.add("/m/old" + std::to_string(i), kOld);
  c.add("/m/new", 3600);           // an hour old: new
  c.pref("/m/new", "weight", "1"); // new_bias replaces the weight
  Config config;
  config.new_bias = 810000; // as much as the nine old tracks together
  config.new_bias_age = std::chrono::hours(24);
  RandomPicker picker(c.db());
  auto h = histogram(picker, config, 4000);
  EXPECT_NEAR(h["/m/new"], 2000, 250);
  // Past new_bias_age it is an ordinary track with its own weight.
  config.new_bias_age = std::chrono::minutes(30);
  h = histogram(picker, config, 4000);
  EXPECT_LT(h["/m/new"], 20);
}

TEST(RandomPicker, ReplayMinAndExcludedTracksAreNotPicked) {
  Collection c;
  c.add("/m/a", kOld);
  c.add("/m/b", kOld);
  c.add("/m/c", kOld);
  c.add("/m/d", kOld);
  const auto now = disorder::wall_seconds();
  c.pref("/m/a", "played_time", std::to_string(now - 60));        // just played
  c.pref("/m/b", "played_time", std::to_string(now - 10 * 3600)); // long ago
  Config config;
  config.replay_min = std::chrono::hours(8);
  RandomPicker picker(c.db());
  for (int i = 0; i < 50; ++i) {
    const auto picked = picker.pick(config, {"/m/c"}, 3);
    // a is too recent and c is excluded: only b and d remain, each once.
    ASSERT_EQ(picked.size(), 2u);
    EXPECT_NE(picked[0], picked[1]);
    for (const auto& name : picked)
      EXPECT_TRUE(name == "/m/b" || name == "/m/d") << name;
  }
  // replay_min 0 lets a played track come back at once.
  config.replay_min = std::chrono::seconds(0);
  EXPECT_EQ(picker.pick(config, {}, 10).size(), 4u);
}

TEST(RandomPicker, RequiredAndProhibitedTagsLimitThePicks) {
  Collection c;
  for (const char* name : {"/m/rock", "/m/rock-slow", "/m/jazz", "/m/none"})
    c.add(name, kOld);
  // The tags preference as the server indexes it (track_prefs.cpp): one row
  // per tag key.
  auto tag = [&](const std::string& track, const std::string& key) {
    auto& st = c.db().cached("INSERT INTO track_tags (key, track, tag) VALUES (?, ?, ?)");
    st.bind(1, key).bind(2, track).bind(3, key);
    st.run();
  };
  tag("/m/rock", "rock");
  tag("/m/rock-slow", "rock");
  tag("/m/rock-slow", "slow");
  tag("/m/jazz", "jazz");
  Config config;
  RandomPicker picker(c.db());
  auto picked = [&](disorder::TagFilter f) {
    auto v = picker.pick(config, {}, 10, f);
    std::sort(v.begin(), v.end());
    return v;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(picked({}), (V{"/m/jazz", "/m/none", "/m/rock", "/m/rock-slow"}));
  // At least one of the required tags.
  EXPECT_EQ(picked({{"rock"}, {}}), (V{"/m/rock", "/m/rock-slow"}));
  EXPECT_EQ(picked({{"jazz", "slow"}, {}}), (V{"/m/jazz", "/m/rock-slow"}));
  // None of the prohibited ones.
  EXPECT_EQ(picked({{}, {"slow", "jazz"}}), (V{"/m/none", "/m/rock"}));
  EXPECT_EQ(picked({{"rock"}, {"slow"}}), (V{"/m/rock"}));
  EXPECT_EQ(picked({{"nothing"}, {}}), V{});
}

} // namespace
