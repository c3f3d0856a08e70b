// EventLoop::defer: calls run after the current callback, in order, and a
// call still pending when the loop goes away is released with it.  Ready
// events run most urgent first (Priority).
#include "event_loop.hpp"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

using disorder::BufferedConnection;
using disorder::Event;
using disorder::EventLoop;
using disorder::Fd;
using disorder::Priority;

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

TEST(EventLoopKeep, KeptObjectsLiveUntilForgottenOrTheLoopEnds) {
  auto a = std::make_shared<int>(1), b = std::make_shared<int>(2);
  std::weak_ptr<int> watch_a = a, watch_b = b;
  {
    EventLoop loop;
    auto id_a = loop.keep(std::move(a));
    loop.keep(std::move(b));
    EXPECT_FALSE(watch_a.expired());
    loop.forget(id_a);
    EXPECT_TRUE(watch_a.expired());
    EXPECT_FALSE(watch_b.expired());
    loop.forget(id_a); // twice is harmless
  }
  EXPECT_TRUE(watch_b.expired());
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

// Sockets with input waiting, registered least urgent first: one turn of
// the loop serves them most urgent first, whatever the order they became
// ready in, and a connection whose priority changes is served at the new one.
TEST(EventLoopPriority, ReadyEventsRunMostUrgentFirst) {
  EventLoop loop;
  std::string order;
  std::vector<Fd> peers;
  std::vector<std::unique_ptr<Event>> events;
  std::vector<std::unique_ptr<BufferedConnection>> conns;
  auto readable_socket = [&] {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    EXPECT_EQ(::write(sv[1], "x", 1), 1);
    peers.emplace_back(sv[1]);
    return Fd(sv[0]);
  };
  auto add_event = [&](Priority p, char name) {
    Fd fd = readable_socket();
    auto ev = Event::io(loop, fd.get(), EV_READ, [&order, name](short) { order += name; });
    if (p != Priority::internal) ev->set_priority(p);
    ev->add();
    peers.push_back(std::move(fd));
    events.push_back(std::move(ev));
  };
  auto add_conn = [&](Priority p, char name) {
    auto c = std::make_unique<BufferedConnection>(loop, readable_socket());
    auto* raw = c.get();
    c->set_callbacks(
        [&order, raw, name] {
          order += name;
          raw->enable_reading(false);
        },
        {}, {});
    c->set_priority(p);
    conns.push_back(std::move(c));
  };
  add_conn(Priority::background, 'd');
  add_event(Priority::background, 'c');
  add_conn(Priority::clients, 'b');
  add_event(Priority::internal, 'a');
  // A client that logs in and one that is demoted, after registering.
  add_conn(Priority::background, 'B');
  conns.back()->set_priority(Priority::clients);
  add_conn(Priority::clients, 'D');
  conns.back()->set_priority(Priority::background);
  while (order.size() < 6)
    ASSERT_EQ(event_base_loop(loop.base(), EVLOOP_ONCE), 0);
  ASSERT_EQ(order.size(), 6u);
  EXPECT_EQ(order[0], 'a');
  EXPECT_EQ(order.substr(1, 2).find_first_not_of("bB"), std::string::npos) << order;
  EXPECT_EQ(order.substr(3).find_first_not_of("cdD"), std::string::npos) << order;
}
