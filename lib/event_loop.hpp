// Small RAII classes over libevent: the loop, events (fd readiness, timers,
// signals), deferred calls, listening sockets and buffered connections.
// Everything here runs on the thread that runs the loop.
#pragma once

#include "fd.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct event_base;
struct event;
struct evbuffer;
struct sockaddr;

namespace disorder {

// Which ready events the loop serves first.  When several are ready at
// once, all those of the most urgent kind run before any of a lesser one,
// and a run of `clients` or `background` callbacks stops after a
// millisecond or a few dozen callbacks to look for more urgent work.  So
// the daemon's own work (the speaker, timers, deferred calls) goes first,
// then clients that have logged in, and work that anyone can cause without
// a password (new connections, logins) or that a client has shown to be
// costly only when nothing else is waiting: a storm of it slows it, not
// everyone else.
enum class Priority : int {
  internal = 0,   // everything's default: Event, defer()
  clients = 1,    // logged-in connections
  background = 2, // listeners, connections before login, demoted ones
};

class EventLoop {
public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  event_base* base() const { return base_; }
  // Runs until stop() is called or nothing is left to wait for.
  void run();
  // Makes run() return after the current callback.
  void stop();
  // Calls fn from the loop, after the current callback returns; calls
  // deferred together run in the order they were deferred.  The loop owns
  // fn until then: one still pending when the loop is destroyed is
  // destroyed with it, without being called.
  void defer(std::function<void()> fn);

  // Keeps `object` alive until forget(id) or until the loop is destroyed
  // (before its events are freed): for work that outlives the call that
  // started it and has no other owner, such as a child sending mail.
  using KeptId = std::uint64_t;
  KeptId keep(std::shared_ptr<void> object);
  void forget(KeptId id);

private:
  static void run_deferred(int, short, void* arg);

  event_base* base_;
  // Fires the pending calls; made active by defer().
  event* deferred_event_ = nullptr;
  std::deque<std::function<void()>> deferred_;
  std::map<KeptId, std::shared_ptr<void>> kept_;
  KeptId next_kept_ = 1;
};

// One libevent event with a std::function callback.  `what` passed to the
// callback is libevent's EV_* mask.
class Event {
public:
  using Callback = std::function<void(short what)>;

  // A timer (not armed until add()).
  static std::unique_ptr<Event> timer(EventLoop& loop, Callback cb);
  // A persistent signal handler, armed at once.
  static std::unique_ptr<Event> signal(EventLoop& loop, int signum, Callback cb);
  // Readiness on fd (EV_READ/EV_WRITE, EV_PERSIST optional); not armed until add().
  static std::unique_ptr<Event> io(EventLoop& loop, int fd, short what, Callback cb);

  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  void add();
  void add(std::chrono::microseconds timeout);
  void remove();
  bool pending() const;
  void set_priority(Priority priority);

private:
  Event(EventLoop& loop, int fd, short what, Callback cb);
  static void trampoline(int fd, short what, void* arg);
  event* ev_;
  Callback cb_;
};

// A listening socket that hands each accepted connection to a callback.
//
// When the process is out of file descriptors (or the kernel short of
// memory), accept() fails at once every time the loop asks again, and a
// plain accept loop spins and logs without end while the client waits for
// ever.  Instead the listener reports the error to on_error and answers the
// waiting clients with `refusal`, through a descriptor it holds in reserve
// for just that.  When not even that works (the reserve is gone too), it
// stops listening for a moment, doubling the pause (100 ms up to 2 s) for
// as long as the condition lasts.
class Listener {
public:
  using AcceptCallback = std::function<void(Fd fd)>;
  // errno of a failed accept().
  using ErrorCallback = std::function<void(int error)>;
  // Takes ownership of a bound, listening socket.  refusal (which should end
  // in a line feed) is written to a client turned away for lack of
  // descriptors; empty to just close it.  Accepting runs at
  // Priority::background.
  Listener(EventLoop& loop, Fd fd, AcceptCallback on_accept, ErrorCallback on_error = {},
           std::string refusal = {});
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();
  int fd() const { return fd_.get(); }

  static constexpr std::chrono::milliseconds kFirstPause{100};
  static constexpr std::chrono::milliseconds kLongestPause{2000};

private:
  void readable();
  // True if it turned at least one client away.
  bool turn_away();

  Fd fd_;
  Fd reserve_; // /dev/null, closed to make room for turn_away()
  AcceptCallback on_accept_;
  ErrorCallback on_error_;
  std::string refusal_;
  std::unique_ptr<Event> readable_, resume_;
  std::chrono::milliseconds pause_{0};
};

// A buffered, non-blocking stream connection.  Reads go into an evbuffer
// (one read() per readiness event, no size probing); writes go straight to
// the socket when nothing is queued, and only what the socket will not take
// at once is buffered and written when it becomes writable.  So a command
// and its reply cost a read, a write and the loop's wait, as little as a
// server can do.  Callbacks fire on the loop thread.
class BufferedConnection {
public:
  // fd must already be non-blocking (sockets from Listener are).
  BufferedConnection(EventLoop& loop, Fd fd);
  BufferedConnection(const BufferedConnection&) = delete;
  BufferedConnection& operator=(const BufferedConnection&) = delete;
  ~BufferedConnection();

  // on_read: input arrived.  on_drained: the output buffer emptied.
  // on_closed: EOF or error (the connection is dead; the owner should drop it).
  void set_callbacks(std::function<void()> on_read, std::function<void()> on_drained,
                     std::function<void()> on_closed);
  void write(std::string_view data);
  // Between cork() and uncork(), writes are collected and then sent
  // together: a client that sends a batch of commands gets its replies in
  // one system call rather than one each.
  void cork();
  void uncork();
  evbuffer* input() const { return in_; }
  size_t pending_output() const;
  void enable_reading(bool on);
  int fd() const { return fd_.get(); }
  // Priority::internal until set.
  void set_priority(Priority priority);

private:
  static void read_cb(int fd, short what, void* arg);
  static void write_cb(int fd, short what, void* arg);
  void apply_priority();
  void flush();
  void closed();

  Fd fd_;
  evbuffer* in_;
  evbuffer* out_;
  event* read_event_;
  event* write_event_;
  bool reading_ = true;
  bool corked_ = false;
  Priority priority_ = Priority::internal;
  bool priority_pending_ = false;
  std::string corked_data_;
  std::function<void()> on_read_, on_drained_, on_closed_;
};

} // namespace disorder
