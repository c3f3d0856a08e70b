// One-line request, one-line reply over a UNIX socket.
#include "control_socket.hpp"

#include "error.hpp"
#include "log.hpp"
#include "socket_address.hpp"

#include <cerrno>
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

namespace disorder::playrtp {

ControlSocket::ControlSocket(EventLoop& loop, std::string path, Handler handler)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)) {
  try {
    connect_unix(path_);
    throw Error("another disorder-playrtp is already listening on " + path_);
  } catch (const SystemError&) {
    // Nobody answers: the file, if any, is stale.
  }
  listener_ = listen_unix(path_, 0600);
  set_nonblocking(listener_.get());
  accept_event_ =
      Event::io(loop_, listener_.get(), EV_READ | EV_PERSIST, [this](short) { accept_one(); });
  accept_event_->add();
}

ControlSocket::~ControlSocket() {
  client_event_.reset();
  accept_event_.reset();
  if (listener_) ::unlink(path_.c_str());
}

void ControlSocket::accept_one() {
  Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd) return; // EAGAIN, or the client gave up
  client_ = std::move(fd);
  line_.clear();
  accept_event_->remove(); // one at a time
  client_event_ = Event::io(loop_, client_.get(), EV_READ | EV_PERSIST, [this](short what) {
    if (what & EV_TIMEOUT)
      finish(std::nullopt);
    else
      readable();
  });
  client_event_->add(std::chrono::duration_cast<std::chrono::microseconds>(kTimeout));
}

void ControlSocket::readable() {
  char buffer[256];
  for (;;) {
    const ssize_t n = ::read(client_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      // End of input: a last line without a newline still counts.
      if (n == 0 && !line_.empty()) {
        finish(handler_(line_));
      } else {
        finish(std::nullopt);
      }
      return;
    }
    line_.append(buffer, static_cast<std::size_t>(n));
    const auto newline = line_.find('\n');
    if (newline != std::string::npos) {
      line_.resize(newline);
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      finish(handler_(line_));
      return;
    }
    if (line_.size() > kMaxLine) {
      finish(std::nullopt);
      return;
    }
  }
}

void ControlSocket::finish(const std::optional<std::string>& reply) {
  if (reply) {
    const std::string text = *reply + "\n";
    // A short blocking-free write; a client that does not read loses it.
    (void)::send(client_.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // We are inside the client event's own callback: disarm it now, destroy
  // it once the callback has returned.
  client_event_->remove();
  auto event = std::make_shared<std::unique_ptr<Event>>(std::move(client_event_));
  loop_.defer([event] {});
  client_.reset();
  line_.clear();
  if (accept_event_) accept_event_->add();
}

} // namespace disorder::playrtp
