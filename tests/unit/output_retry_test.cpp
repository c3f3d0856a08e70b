// OutputRetry's back-off and what it reports; RepeatFilter's memory.
#include "audio/output_retry.hpp"

#include <gtest/gtest.h>

using namespace disorder;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(OutputRetry, BacksOffByDoublingUpToTheLongestWait) {
  OutputRetry r(seconds(1), seconds(30));
  EXPECT_FALSE(r.failing());
  std::vector<long> waits;
  for (int i = 0; i < 8; ++i) {
    r.failed("cannot open");
    waits.push_back(static_cast<long>(r.delay().count()));
  }
  EXPECT_EQ(waits, (std::vector<long>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  EXPECT_TRUE(r.failing());
}

TEST(OutputRetry, ReportsAFailureOnceUntilItChangesOrTheOutputWorks) {
  OutputRetry r;
  EXPECT_TRUE(r.failed("No such file or directory"));
  EXPECT_FALSE(r.failed("No such file or directory"));
  EXPECT_FALSE(r.failed("No such file or directory"));
  EXPECT_TRUE(r.failed("Device or resource busy")); // news: a different reason
  EXPECT_FALSE(r.failed("Device or resource busy"));
  const auto before = r.delay();
  EXPECT_TRUE(r.succeeded());
  EXPECT_FALSE(r.succeeded());
  EXPECT_FALSE(r.failing());
  // After working again, a failure is news and is retried soon.
  EXPECT_TRUE(r.failed("Device or resource busy"));
  EXPECT_EQ(r.delay(), seconds(1));
  EXPECT_GT(before, r.delay());
}

TEST(OutputRetry, DescribesItsSchedule) {
  EXPECT_EQ(OutputRetry(seconds(1), seconds(30)).describe(),
            "retrying after 1 s, then less and less often, up to every 30 s");
  EXPECT_EQ(OutputRetry(milliseconds(500), milliseconds(500)).describe(), "retrying every 500 ms");
}

TEST(RepeatFilter, PassesEachMessageOnceUntilReset) {
  RepeatFilter f;
  EXPECT_TRUE(f.first_time("cannot find card '0'"));
  EXPECT_TRUE(f.first_time("Unknown PCM default"));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(f.first_time("cannot find card '0'"));
    EXPECT_FALSE(f.first_time("Unknown PCM default"));
  }
  f.reset();
  EXPECT_TRUE(f.first_time("Unknown PCM default"));
}

TEST(RepeatFilter, ForgetsTheOldestBeyondItsCapacity) {
  RepeatFilter f(2);
  EXPECT_TRUE(f.first_time("a"));
  EXPECT_TRUE(f.first_time("b"));
  EXPECT_TRUE(f.first_time("c")); // "a" is forgotten
  EXPECT_FALSE(f.first_time("b"));
  EXPECT_FALSE(f.first_time("c"));
  EXPECT_TRUE(f.first_time("a"));
}
