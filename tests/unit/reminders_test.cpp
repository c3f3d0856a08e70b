// Unit tests for the password reminder's rate limit and text
// (server/users/reminders).
#include "users/reminders.hpp"

#include <gtest/gtest.h>

using namespace disorder;
using namespace std::chrono_literals;

TEST(ReminderLimiter, OnePerUserPerInterval) {
  ReminderLimiter limiter;
  const auto t0 = ReminderLimiter::Clock::time_point{} + 1000h;
  EXPECT_TRUE(limiter.allow("fred", t0, 600s));
  EXPECT_FALSE(limiter.allow("fred", t0 + 1s, 600s));
  EXPECT_FALSE(limiter.allow("fred", t0 + 599s, 600s));
  EXPECT_TRUE(limiter.allow("jim", t0 + 1s, 600s)) << "the limit is per user";
  EXPECT_TRUE(limiter.allow("fred", t0 + 600s, 600s));
  EXPECT_FALSE(limiter.allow("fred", t0 + 601s, 600s)) << "the new reminder starts a new interval";
}

TEST(ReminderLimiter, ZeroIntervalAllowsEveryTime) {
  ReminderLimiter limiter;
  const auto t0 = ReminderLimiter::Clock::time_point{} + 1000h;
  EXPECT_TRUE(limiter.allow("fred", t0, 0s));
  EXPECT_TRUE(limiter.allow("fred", t0, 0s));
}

TEST(ReminderMail, SaysWhoAndWhatAndWhere) {
  MailMessage m = reminder_mail("fred", "fred@example.com", "s3cret", "http://jukebox.lan/");
  EXPECT_EQ(m.to, "fred@example.com");
  EXPECT_NE(m.body.find("\n  fred\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\n  s3cret\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("http://jukebox.lan/"), std::string::npos) << m.body;
  EXPECT_EQ(reminder_mail("fred", "f@x.org", "p", "").body.find("jukebox is at"),
            std::string::npos);
}
