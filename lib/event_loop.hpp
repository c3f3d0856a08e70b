// Small RAII classes over libevent: the loop, events (fd readiness, timers,
// signals), deferred calls, listening sockets and buffered connections.
// Everything here runs on the thread that runs the loop.
#pragma once

#include "fd.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct event_base;
struct event;
struct evbuffer;
struct evconnlistener;
struct sockaddr;

namespace disorder {

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
  // Calls fn from the loop, after the current callback returns.
  void defer(std::function<void()> fn);

private:
  event_base* base_;
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

private:
  Event(EventLoop& loop, int fd, short what, Callback cb);
  static void trampoline(int fd, short what, void* arg);
  event* ev_;
  Callback cb_;
};

// A listening socket that hands each accepted connection to a callback.
class Listener {
public:
  using AcceptCallback = std::function<void(Fd fd)>;
  // Takes ownership of a bound, listening socket.
  Listener(EventLoop& loop, Fd fd, AcceptCallback cb);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();
  int fd() const;

private:
  static void trampoline(evconnlistener*, int fd, ::sockaddr*, int, void* arg);
  evconnlistener* listener_;
  AcceptCallback cb_;
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

private:
  static void read_cb(int fd, short what, void* arg);
  static void write_cb(int fd, short what, void* arg);
  void flush();
  void closed();

  Fd fd_;
  evbuffer* in_;
  evbuffer* out_;
  event* read_event_;
  event* write_event_;
  bool reading_ = true;
  bool corked_ = false;
  std::string corked_data_;
  std::function<void()> on_read_, on_drained_, on_closed_;
};

} // namespace disorder
