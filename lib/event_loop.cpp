// Implementation of the libevent wrappers.
#include "event_loop.hpp"

#include "error.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

namespace disorder {

EventLoop::EventLoop() : base_(event_base_new()) {
  if (!base_) throw Error("event_base_new failed");
}

EventLoop::~EventLoop() {
  event_base_free(base_);
}

void EventLoop::run() {
  if (event_base_dispatch(base_) < 0) throw Error("event loop failed");
}

void EventLoop::stop() {
  event_base_loopbreak(base_);
}

void EventLoop::defer(std::function<void()> fn) {
  auto* heap = new std::function<void()>(std::move(fn)); // owned by the callback below
  timeval zero{0, 0};
  if (event_base_once(
          base_, -1, EV_TIMEOUT,
          [](int, short, void* arg) {
            std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(arg));
            (*f)();
          },
          heap, &zero) < 0) {
    delete heap;
    throw Error("event_base_once failed");
  }
}

Event::Event(EventLoop& loop, int fd, short what, Callback cb)
    : ev_(event_new(loop.base(), fd, what, &Event::trampoline, this)), cb_(std::move(cb)) {
  if (!ev_) throw Error("event_new failed");
}

std::unique_ptr<Event> Event::timer(EventLoop& loop, Callback cb) {
  return std::unique_ptr<Event>(new Event(loop, -1, 0, std::move(cb)));
}

std::unique_ptr<Event> Event::signal(EventLoop& loop, int signum, Callback cb) {
  auto e = std::unique_ptr<Event>(new Event(loop, signum, EV_SIGNAL | EV_PERSIST, std::move(cb)));
  e->add();
  return e;
}

std::unique_ptr<Event> Event::io(EventLoop& loop, int fd, short what, Callback cb) {
  return std::unique_ptr<Event>(new Event(loop, fd, what, std::move(cb)));
}

Event::~Event() {
  event_free(ev_);
}

void Event::add() {
  if (event_add(ev_, nullptr) < 0) throw Error("event_add failed");
}

void Event::add(std::chrono::microseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000000),
             static_cast<suseconds_t>(timeout.count() % 1000000)};
  if (event_add(ev_, &tv) < 0) throw Error("event_add failed");
}

void Event::remove() {
  event_del(ev_);
}

bool Event::pending() const {
  return event_pending(ev_, EV_READ | EV_WRITE | EV_SIGNAL | EV_TIMEOUT, nullptr);
}

void Event::trampoline(int, short what, void* arg) {
  // Copy the callback: it may destroy this Event.
  auto cb = static_cast<Event*>(arg)->cb_;
  cb(what);
}

Listener::Listener(EventLoop& loop, Fd fd, AcceptCallback cb) : cb_(std::move(cb)) {
  set_nonblocking(fd.get()); // libevent accepts until EAGAIN
  listener_ = evconnlistener_new(loop.base(), &Listener::trampoline, this,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd.get());
  if (!listener_) throw Error("evconnlistener_new failed");
  fd.release();
}

Listener::~Listener() {
  evconnlistener_free(listener_);
}

int Listener::fd() const {
  return evconnlistener_get_fd(listener_);
}

void Listener::trampoline(evconnlistener*, int fd, ::sockaddr*, int, void* arg) {
  static_cast<Listener*>(arg)->cb_(Fd(fd));
}

BufferedConnection::BufferedConnection(EventLoop& loop, Fd fd) {
  set_nonblocking(fd.get());
  bev_ = bufferevent_socket_new(loop.base(), fd.get(), BEV_OPT_CLOSE_ON_FREE);
  if (!bev_) throw Error("bufferevent_socket_new failed");
  fd.release();
  bufferevent_setcb(bev_, &read_cb, &write_cb, &event_cb, this);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

BufferedConnection::~BufferedConnection() {
  bufferevent_free(bev_);
}

void BufferedConnection::set_callbacks(std::function<void()> on_read,
                                       std::function<void()> on_drained,
                                       std::function<void()> on_closed) {
  on_read_ = std::move(on_read);
  on_drained_ = std::move(on_drained);
  on_closed_ = std::move(on_closed);
}

void BufferedConnection::write(std::string_view data) {
  if (bufferevent_write(bev_, data.data(), data.size()) < 0)
    throw Error("bufferevent_write failed");
}

evbuffer* BufferedConnection::input() const {
  return bufferevent_get_input(bev_);
}
evbuffer* BufferedConnection::output() const {
  return bufferevent_get_output(bev_);
}
size_t BufferedConnection::pending_output() const {
  return evbuffer_get_length(output());
}

void BufferedConnection::enable_reading(bool on) {
  if (on)
    bufferevent_enable(bev_, EV_READ);
  else
    bufferevent_disable(bev_, EV_READ);
}

int BufferedConnection::fd() const {
  return bufferevent_getfd(bev_);
}

void BufferedConnection::read_cb(bufferevent*, void* arg) {
  auto* self = static_cast<BufferedConnection*>(arg);
  if (self->on_read_) self->on_read_();
}

void BufferedConnection::write_cb(bufferevent*, void* arg) {
  auto* self = static_cast<BufferedConnection*>(arg);
  if (self->on_drained_) self->on_drained_();
}

void BufferedConnection::event_cb(bufferevent*, short what, void* arg) {
  auto* self = static_cast<BufferedConnection*>(arg);
  if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && self->on_closed_) self->on_closed_();
}

} // namespace disorder
