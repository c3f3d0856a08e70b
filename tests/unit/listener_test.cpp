// The listening socket (lib/event_loop.hpp Listener) when the process runs
// out of descriptors: the waiting client is turned away with the refusal,
// the error is reported once per pause rather than once per loop turn, and
// accepting resumes when descriptors are free again.  Real sockets and a
// real event loop; the descriptor limit is lowered for the test and put back.
#include "event_loop.hpp"
#include "fd.hpp"
#include "log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <event2/event.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace disorder;
using namespace std::chrono_literals;

namespace {

// The lowest descriptor number not in use.  The descriptor limit bounds
// numbers, not counts: with the limit set to this, every number below it is
// taken and the next descriptor cannot be had.
int lowest_free_descriptor() {
  int fd = ::dup(0);
  ::close(fd);
  return fd;
}

// Lowers the soft descriptor limit for its lifetime.
class DescriptorLimit {
public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lower = saved_;
    lower.rlim_cur = soft;
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &lower), 0);
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
  rlimit saved_{};
};

struct UnixPair {
  Fd server, client; // a listening socket, and an unconnected client socket
  sockaddr_un address{};
  UnixPair() {
    server = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    client = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // An abstract address: nothing to clean up in the file system.
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path + 1, sizeof address.sun_path - 1, "disorder-listener-test-%d",
                  static_cast<int>(::getpid()));
    EXPECT_EQ(::bind(server.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(server.get(), 16), 0);
  }
  void connect() {
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
};

// Runs the loop until done() or the deadline; false on the deadline.
template <typename Pred> bool run_until(EventLoop& loop, Pred done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto tick = Event::timer(loop, [](short) {});
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    tick->add(10ms);
    event_base_loop(loop.base(), EVLOOP_ONCE);
  }
  return true;
}

} // namespace

TEST(Listener, AcceptsConnections) {
  EventLoop loop;
  UnixPair p;
  int accepted = 0;
  Listener listener(loop, std::move(p.server), [&](Fd) { ++accepted; });
  p.connect();
  EXPECT_TRUE(run_until(
      loop, [&] { return accepted == 1; }, 10s));
}

TEST(Listener, OutOfDescriptorsTurnsTheClientAwayWithTheRefusal) {
  EventLoop loop;
  UnixPair p;
  int accepted = 0, errors = 0, last_error = 0;
  Listener listener(
      loop, std::move(p.server), [&](Fd) { ++accepted; },
      [&](int e) {
        ++errors;
        last_error = e;
      },
      "550 too many connections\n");
  p.connect();
  {
    // Not one descriptor to spare: accept() fails with EMFILE.  (The
    // listener's reserve was taken before, so its number is below the limit.)
    DescriptorLimit limit(static_cast<rlim_t>(lowest_free_descriptor()));
    ASSERT_TRUE(run_until(
        loop, [&] { return errors > 0; }, 10s));
  }
  EXPECT_EQ(last_error, EMFILE);
  EXPECT_EQ(accepted, 0);
  char buf[64] = {};
  ssize_t n = ::recv(p.client.get(), buf, sizeof buf - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_STREQ(buf, "550 too many connections\n");
  EXPECT_EQ(::recv(p.client.get(), buf, sizeof buf, 0), 0); // then closed
}

TEST(Listener, BacksOffWhileDescriptorsStayShortAndResumesAfter) {
  EventLoop loop;
  UnixPair p;
  int accepted = 0, errors = 0;
  Listener listener(
      loop, std::move(p.server), [&](Fd) { ++accepted; }, [&](int) { ++errors; });
  p.connect();
  {
    // Only standard input, output and error below the limit: even giving
    // up the reserve cannot help, and every accept() fails for as long as
    // this lasts.
    DescriptorLimit limit(3);
    const auto start = std::chrono::steady_clock::now();
    run_until(
        loop, [&] { return std::chrono::steady_clock::now() - start > 1s; }, 10s);
  }
  // 100, 200, 400 ms pauses fit in a second: a handful of tries, where a
  // plain loop would fail thousands of times.
  EXPECT_GE(errors, 1);
  EXPECT_LE(errors, 5);
  EXPECT_EQ(accepted, 0);
  // With descriptors back, the waiting client is accepted after the pause.
  EXPECT_TRUE(run_until(
      loop, [&] { return accepted == 1; }, 10s));
}

TEST(LogLimiter, LogsOncePerIntervalAndCountsTheRest) {
  // log_warning writes to stderr; capture it through a pipe.
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  int saved = ::dup(2);
  ::dup2(pipefd[1], 2);
  LogLimiter limiter(1h);
  for (int i = 0; i < 1000; ++i)
    limiter.warning("accept failed");
  ::dup2(saved, 2);
  ::close(saved);
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}
