// Implementation of the libevent wrappers.
#include "event_loop.hpp"

#include "error.hpp"

#include <algorithm>
#include <cerrno>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace disorder {

namespace {

constexpr int kPriorities = 3;
// A run of callbacks below Priority::internal looks for more urgent ones
// after this long or this many callbacks.
constexpr timeval kMostBeforeLookingUp{0, 1000};
constexpr int kMostCallbacksBeforeLookingUp = 32;

event_base* new_base() {
  event_config* cfg = event_config_new();
  if (!cfg) throw Error("event_config_new failed");
  event_config_set_max_dispatch_interval(cfg, &kMostBeforeLookingUp, kMostCallbacksBeforeLookingUp,
                                         static_cast<int>(Priority::clients));
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (!base) throw Error("event_base_new failed");
  if (event_base_priority_init(base, kPriorities) < 0) {
    event_base_free(base);
    throw Error("event_base_priority_init failed");
  }
  return base;
}

// False when libevent refuses: only while the event is waiting to run in
// this turn of the loop.
bool set_event_priority(event* ev, Priority priority) {
  return event_priority_set(ev, static_cast<int>(priority)) == 0;
}

} // namespace

EventLoop::EventLoop() : base_(new_base()) {
  deferred_event_ = event_new(base_, -1, 0, &EventLoop::run_deferred, this);
  if (!deferred_event_) {
    event_base_free(base_);
    throw Error("event_new failed");
  }
  set_event_priority(deferred_event_, Priority::internal);
}

EventLoop::~EventLoop() {
  // Kept objects may own events (and defer more): free them first.
  while (!kept_.empty()) {
    auto kept = std::move(kept_);
    kept_.clear();
    kept.clear();
  }
  // Pending calls go first, while the base is alive: what they hold (an
  // Event, a connection) may free libevent objects, or defer more.
  while (!deferred_.empty()) {
    auto pending = std::move(deferred_);
    deferred_.clear();
    pending.clear();
  }
  event_free(deferred_event_);
  event_base_free(base_);
}

EventLoop::KeptId EventLoop::keep(std::shared_ptr<void> object) {
  KeptId id = next_kept_++;
  kept_.emplace(id, std::move(object));
  return id;
}

void EventLoop::forget(KeptId id) {
  // Moved out first: its destructor may call keep() or forget().
  auto it = kept_.find(id);
  if (it == kept_.end()) return;
  auto object = std::move(it->second);
  kept_.erase(it);
}

void EventLoop::run() {
  if (event_base_dispatch(base_) < 0) throw Error("event loop failed");
}

void EventLoop::stop() {
  event_base_loopbreak(base_);
}

void EventLoop::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  // Already active: one run takes them all.
  event_active(deferred_event_, EV_TIMEOUT, 0);
}

void EventLoop::run_deferred(int, short, void* arg) {
  auto* self = static_cast<EventLoop*>(arg);
  // Only those deferred before this run: calls that these defer made the
  // event active again, and run after whatever else is ready by then.
  for (std::size_t n = self->deferred_.size(); n > 0 && !self->deferred_.empty(); --n) {
    auto fn = std::move(self->deferred_.front());
    self->deferred_.pop_front();
    fn();
  }
}

Event::Event(EventLoop& loop, int fd, short what, Callback cb)
    : ev_(event_new(loop.base(), fd, what, &Event::trampoline, this)), cb_(std::move(cb)) {
  if (!ev_) throw Error("event_new failed");
  set_event_priority(ev_, Priority::internal);
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

void Event::set_priority(Priority priority) {
  set_event_priority(ev_, priority);
}

bool Event::pending() const {
  return event_pending(ev_, EV_READ | EV_WRITE | EV_SIGNAL | EV_TIMEOUT, nullptr);
}

void Event::trampoline(int, short what, void* arg) {
  // Copy the callback: it may destroy this Event.
  auto cb = static_cast<Event*>(arg)->cb_;
  cb(what);
}

Listener::Listener(EventLoop& loop, Fd fd, AcceptCallback on_accept, ErrorCallback on_error,
                   std::string refusal)
    : fd_(std::move(fd)), reserve_(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
      on_accept_(std::move(on_accept)), on_error_(std::move(on_error)),
      refusal_(std::move(refusal)) {
  set_nonblocking(fd_.get()); // we accept until EAGAIN
  readable_ = Event::io(loop, fd_.get(), EV_READ | EV_PERSIST, [this](short) { readable(); });
  readable_->set_priority(Priority::background);
  resume_ = Event::timer(loop, [this](short) { readable_->add(); });
  readable_->add();
}

Listener::~Listener() = default;

void Listener::readable() {
  // The reserve may have been lost while descriptors were short.
  if (!reserve_) reserve_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // A small batch per wake-up (each new connection costs tens of
  // microseconds), so that a connection storm cannot keep the loop from
  // everything else for long.
  for (int batch = 0; batch < 16; ++batch) {
    int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      pause_ = std::chrono::milliseconds(0);
      on_accept_(Fd(c));
      continue;
    }
    const int error = errno;
    switch (error) {
    case EAGAIN:
    case EINTR:
      return;
    case ECONNABORTED: // the client gave up while waiting: next one
    case EPROTO:
    case EPERM:
      continue;
    default:
      // Out of descriptors or memory, or something stranger.  Turn the
      // waiting clients away rather than leave them hanging; if not even
      // that works, give the condition time to pass instead of failing
      // again at once, every time the loop turns.
      if (on_error_) on_error_(error);
      if (turn_away()) return;
      pause_ = pause_.count() ? std::min(pause_ * 2, kLongestPause) : kFirstPause;
      readable_->remove();
      resume_->add(pause_);
      return;
    }
  }
}

bool Listener::turn_away() {
  // Each waiting client in turn gets the reserve's number for as long as it
  // takes to tell it no.
  int turned = 0;
  for (; turned < 64 && reserve_; ++turned) {
    reserve_.reset();
    Fd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (c && !refusal_.empty())
      (void)::send(c.get(), refusal_.data(), refusal_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    const bool had_one = bool(c);
    c.reset();
    reserve_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!had_one) break;
  }
  return turned > 0;
}

BufferedConnection::BufferedConnection(EventLoop& loop, Fd fd)
    : fd_(std::move(fd)), in_(evbuffer_new()), out_(evbuffer_new()),
      read_event_(event_new(loop.base(), fd_.get(), EV_READ | EV_PERSIST, &read_cb, this)),
      write_event_(event_new(loop.base(), fd_.get(), EV_WRITE | EV_PERSIST, &write_cb, this)) {
  if (!in_ || !out_ || !read_event_ || !write_event_) {
    // The destructor will not run for a constructor that throws.
    if (read_event_) event_free(read_event_);
    if (write_event_) event_free(write_event_);
    if (in_) evbuffer_free(in_);
    if (out_) evbuffer_free(out_);
    throw Error("cannot set up a connection's buffers");
  }
  set_priority(Priority::internal);
  event_add(read_event_, nullptr);
}

void BufferedConnection::set_priority(Priority priority) {
  priority_ = priority;
  // One that is about to run gets it when it does (apply_priority()).
  const bool read_set = set_event_priority(read_event_, priority);
  const bool write_set = set_event_priority(write_event_, priority);
  priority_pending_ = !read_set || !write_set;
}

void BufferedConnection::apply_priority() {
  if (priority_pending_) set_priority(priority_);
}

BufferedConnection::~BufferedConnection() {
  if (read_event_) event_free(read_event_);
  if (write_event_) event_free(write_event_);
  if (in_) evbuffer_free(in_);
  if (out_) evbuffer_free(out_);
}

void BufferedConnection::set_callbacks(std::function<void()> on_read,
                                       std::function<void()> on_drained,
                                       std::function<void()> on_closed) {
  on_read_ = std::move(on_read);
  on_drained_ = std::move(on_drained);
  on_closed_ = std::move(on_closed);
}

void BufferedConnection::cork() {
  corked_ = true;
}

void BufferedConnection::uncork() {
  corked_ = false;
  if (corked_data_.empty()) return;
  std::string data;
  data.swap(corked_data_);
  write(data);
  data.clear();
  corked_data_.swap(data); // keep the capacity for the next batch
}

void BufferedConnection::write(std::string_view data) {
  if (corked_) {
    corked_data_.append(data);
    return;
  }
  if (evbuffer_get_length(out_) == 0) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) data.remove_prefix(static_cast<size_t>(n));
    // A dead peer shows up as EOF or an error on the next read.
    if (data.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
  if (evbuffer_add(out_, data.data(), data.size()) < 0) throw Error("out of memory");
  event_add(write_event_, nullptr);
}

size_t BufferedConnection::pending_output() const {
  return evbuffer_get_length(out_) + corked_data_.size();
}

void BufferedConnection::enable_reading(bool on) {
  if (on == reading_) return;
  reading_ = on;
  if (on)
    event_add(read_event_, nullptr);
  else
    event_del(read_event_);
}

void BufferedConnection::closed() {
  event_del(read_event_);
  event_del(write_event_);
  reading_ = false;
  if (on_closed_) on_closed_();
}

void BufferedConnection::read_cb(int fd, short, void* arg) {
  auto* self = static_cast<BufferedConnection*>(arg);
  self->apply_priority();
  evbuffer_iovec vec;
  if (evbuffer_reserve_space(self->in_, 16384, &vec, 1) < 1) {
    self->closed();
    return;
  }
  ssize_t n = ::read(fd, vec.iov_base, vec.iov_len);
  if (n > 0) {
    vec.iov_len = static_cast<size_t>(n);
    evbuffer_commit_space(self->in_, &vec, 1);
    if (self->on_read_) self->on_read_();
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    self->closed();
  }
}

void BufferedConnection::write_cb(int, short, void* arg) {
  auto* self = static_cast<BufferedConnection*>(arg);
  self->apply_priority();
  self->flush();
}

void BufferedConnection::flush() {
  while (evbuffer_get_length(out_) > 0) {
    int n = evbuffer_write(out_, fd_.get());
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return; // wait for the next writable event
      closed();
      return;
    }
  }
  event_del(write_event_);
  if (on_drained_) on_drained_();
}

} // namespace disorder
