// EventLoop::defer: calls run after the current callback, in order, and a
// call still pending when the loop goes away is released with it.
#include "event_loop.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using disorder::EventLoop;

TEST(EventLoopDefer, RunsCallsInOrderOnceEach) {
  EventLoop loop;
  std::string order;
  loop.defer([&] {
    order += "a";
    loop.defer([&] { order += "c"; });
  });
  loop.defer([&] { order += "b"; });
  EXPECT_EQ(order, ""); // nothing runs before the loop does
  loop.run();           // returns once nothing is left to do
  EXPECT_EQ(order, "abc");
  loop.run();
  EXPECT_EQ(order, "abc");
}

TEST(EventLoopDefer, APendingCallIsReleasedWithTheLoop) {
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> watch = held;
  bool called = false;
  {
    EventLoop loop;
    loop.defer([held, &called] { called = true; });
    held.reset();
    EXPECT_FALSE(watch.expired()); // the loop holds it until it runs
  }
  EXPECT_FALSE(called);
  EXPECT_TRUE(watch.expired());
}

// What a pending call holds may defer more as it is destroyed (an object
// that schedules its own clean-up): that is released too.
TEST(EventLoopDefer, CallsDeferredWhileTheLoopIsDestroyedAreReleased) {
  auto inner = std::make_shared<int>(2);
  std::weak_ptr<int> watch = inner;
  {
    EventLoop loop;
    struct DefersOnDestruction {
      EventLoop* loop = nullptr;
      std::shared_ptr<int> payload;
      ~DefersOnDestruction() {
        if (loop) loop->defer([p = std::move(payload)] {});
      }
    };
    auto guard = std::make_shared<DefersOnDestruction>();
    guard->loop = &loop;
    guard->payload = std::move(inner);
    loop.defer([guard] {});
    guard.reset();
  }
  EXPECT_TRUE(watch.expired());
}
