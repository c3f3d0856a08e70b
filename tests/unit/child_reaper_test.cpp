// ChildReaper: each watched child's wait status reaches its callback from
// the loop, never from within watch(), even for a child that has exited
// already (its caller has not yet recorded what it started); a forgotten
// child's callback never runs.
#include "event_loop.hpp"
#include "subprocess.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>

using disorder::ChildReaper;
using disorder::Event;
using disorder::EventLoop;
using disorder::spawn;
using disorder::SpawnOptions;

namespace {

pid_t start(const char* script) {
  SpawnOptions opts;
  opts.argv = {"sh", "-c", script};
  return spawn(opts).pid;
}

// Waits until pid has exited, leaving it for the reaper to collect.
void wait_exited(pid_t pid) {
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
}

// Runs the loop until stop() or a 10 s deadline (a test failure).
void run_with_deadline(EventLoop& loop) {
  bool expired = false;
  auto deadline = Event::timer(loop, [&](short) {
    expired = true;
    loop.stop();
  });
  deadline->add(std::chrono::seconds(10));
  loop.run();
  EXPECT_FALSE(expired) << "the callback did not run within 10 s";
}

} // namespace

TEST(ChildReaper, AChildThatExitedBeforeWatchIsReportedFromTheLoop) {
  EventLoop loop;
  ChildReaper reaper(loop);
  pid_t pid = start("exit 3");
  wait_exited(pid);
  std::optional<int> status;
  bool recorded = false;
  reaper.watch(pid, [&](int wstatus) {
    EXPECT_TRUE(recorded) << "the callback ran before its caller had finished";
    status = wstatus;
    loop.stop();
  });
  recorded = true; // what a caller does after watch(), such as keeping the pid
  EXPECT_FALSE(status);
  run_with_deadline(loop);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
}

TEST(ChildReaper, AChildThatExitsLaterIsReportedOnItsSigchld) {
  EventLoop loop;
  ChildReaper reaper(loop);
  pid_t pid = start("sleep 0.2; kill -TERM $$");
  std::optional<int> status;
  reaper.watch(pid, [&](int wstatus) {
    status = wstatus;
    loop.stop();
  });
  run_with_deadline(loop);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
  EXPECT_EQ(disorder::describe_wait_status(*status), "killed by signal 15 (Terminated)");
}

TEST(ChildReaper, PollReportsAnExitAtOnceAndAForgottenChildIsNotReported) {
  EventLoop loop;
  ChildReaper reaper(loop);
  pid_t kept = start("exit 0"), forgotten = start("exit 1");
  int calls = 0;
  std::optional<int> status;
  reaper.watch(kept, [&](int wstatus) {
    ++calls;
    status = wstatus;
  });
  reaper.watch(forgotten, [&](int) { ADD_FAILURE() << "a forgotten child was reported"; });
  reaper.forget(forgotten);
  wait_exited(kept);
  reaper.poll();
  ASSERT_TRUE(status);
  EXPECT_EQ(disorder::describe_wait_status(*status), "exited with status 0");
  // The loop has nothing more to report for it.
  auto stop = Event::timer(loop, [&](short) { loop.stop(); });
  stop->add(std::chrono::milliseconds(100));
  loop.run();
  EXPECT_EQ(calls, 1);
  wait_exited(forgotten);
  ::waitpid(forgotten, nullptr, 0);
}
