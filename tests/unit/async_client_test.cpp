// The non-blocking protocol client against a scripted server on a socket
// pair: it waits for the greeting, pipelines commands, matches replies and
// bodies to their callbacks in order, follows the event log, and reports a
// dead or silent server to every waiting callback.
#include "async_client.hpp"
#include "crypto.hpp"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace disorder;

namespace {

struct Pair {
  EventLoop loop;
  Fd server;
  std::unique_ptr<AsyncClient> client;
  std::string closed_why;

  Pair() {
    crypto_init();
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    server = Fd(sv[0]);
    set_nonblocking(sv[1]);
    client = std::make_unique<AsyncClient>(loop, Fd(sv[1]),
                                           [this](const std::string& why) { closed_why = why; });
  }
  void say(const std::string& text) {
    ASSERT_EQ(::write(server.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // What the client has sent so far.
  std::string heard() {
    std::string out;
    char buf[4096];
    set_nonblocking(server.get());
    ssize_t n;
    while ((n = ::read(server.get(), buf, sizeof buf)) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
  void spin() {
    for (int i = 0; i < 10; ++i)
      event_base_loop(loop.base(), EVLOOP_NONBLOCK);
  }
  // Runs the loop until cond holds (or a generous number of turns pass).
  template <typename F> void run_until(F cond) {
    for (int i = 0; i < 1000 && !cond(); ++i)
      event_base_loop(loop.base(), EVLOOP_ONCE);
  }
};

} // namespace

TEST(AsyncClient, HoldsCommandsUntilTheGreetingThenPipelinesThem) {
  Pair p;
  std::vector<std::string> got;
  p.client->command({"nop"}, [&](Reply& r) { got.push_back(std::to_string(r.code) + r.text); });
  p.client->command({"queue"}, [&](Reply& r) {
    got.push_back(std::to_string(r.code));
    for (auto& l : r.body)
      got.push_back(l);
  });
  p.client->command({"get", "a b", "c"}, [&](Reply& r) { got.push_back(r.value()); });
  p.spin();
  EXPECT_EQ(p.heard(), ""); // nothing before the greeting
  p.say("231 2 sha1 0123456789abcdef\n");
  p.run_until([&] { return p.client->pending() == 3 && !p.heard().empty(); });
  p.say("250 Quack\n253 Queue follows\nid 1\n..dotted\n.\n252 \"the value\"\n");
  p.run_until([&] { return got.size() >= 5; });
  EXPECT_EQ(got, (std::vector<std::string>{"250Quack", "253", "id 1", ".dotted", "the value"}));
  EXPECT_EQ(p.client->pending(), 0u);
}

TEST(AsyncClient, LogsInWithTheChallengeFromTheGreeting) {
  Pair p;
  int code = 0;
  p.client->login("alice", "secret", [&](Reply& r) { code = r.code; });
  p.say("231 2 sha256 00ff\n");
  std::string sent;
  p.run_until([&] {
    sent += p.heard();
    return !sent.empty();
  });
  EXPECT_EQ(sent,
            "user alice " + auth_response("sha256", "secret", std::string("\x00\xff", 2)) + "\n");
  p.say("230 OK\n");
  p.run_until([&] { return code != 0; });
  EXPECT_EQ(code, 230);
}

TEST(AsyncClient, FollowsTheEventLog) {
  Pair p;
  std::vector<std::string> events;
  int started = 0;
  p.client->follow_log([&](const std::string& l) { events.push_back(l); },
                       [&](Reply& r) { started = r.code; });
  p.say("231 2 sha1 00\n254 OK\n1 state playing\n..2 dotted\n");
  p.run_until([&] { return events.size() >= 2; });
  EXPECT_EQ(started, 254);
  EXPECT_EQ(events, (std::vector<std::string>{"1 state playing", ".2 dotted"}));
}

TEST(AsyncClient, AClosedConnectionAnswersEveryWaitingCommandWithCodeZero) {
  Pair p;
  std::vector<int> codes;
  p.client->command({"nop"}, [&](Reply& r) { codes.push_back(r.code); });
  p.client->command({"nop"}, [&](Reply& r) { codes.push_back(r.code); });
  p.say("231 2 sha1 00\n250 one\n");
  p.run_until([&] { return codes.size() == 1; });
  p.server.reset();
  p.run_until([&] { return codes.size() == 2 && !p.closed_why.empty(); });
  EXPECT_EQ(codes, (std::vector<int>{250, 0}));
  EXPECT_FALSE(p.client->usable());
  EXPECT_NE(p.closed_why.find("closed"), std::string::npos) << p.closed_why;
}

TEST(AsyncClient, ACommandSentAfterTheConnectionFailedIsAnsweredWithCodeZero) {
  Pair p;
  p.say("231 2 sha1 00\n");
  p.server.reset();
  p.run_until([&] { return !p.closed_why.empty(); });
  int code = -1;
  p.client->command({"nop"}, [&](Reply& r) { code = r.code; });
  p.run_until([&] { return code != -1; });
  EXPECT_EQ(code, 0);
}

TEST(AsyncClient, ASilentServerTimesOut) {
  Pair p;
  p.client->set_reply_timeout(std::chrono::milliseconds(50));
  int code = -1;
  p.client->command({"nop"}, [&](Reply& r) { code = r.code; });
  p.say("231 2 sha1 00\n");
  p.run_until([&] { return code != -1; });
  EXPECT_EQ(code, 0);
  p.run_until([&] { return !p.closed_why.empty(); });
  EXPECT_NE(p.closed_why.find("no reply"), std::string::npos) << p.closed_why;
}

TEST(AsyncClient, AMalformedReplyClosesTheConnection) {
  Pair p;
  int code = -1;
  p.client->command({"nop"}, [&](Reply& r) { code = r.code; });
  p.say("231 2 sha1 00\nnot a reply\n");
  p.run_until([&] { return code != -1; });
  EXPECT_EQ(code, 0);
  p.run_until([&] { return !p.closed_why.empty(); });
  EXPECT_NE(p.closed_why.find("bad reply"), std::string::npos) << p.closed_why;
}
