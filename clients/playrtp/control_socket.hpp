// disorder-playrtp's remote control (--socket): a UNIX stream socket where
// each connection sends one line and gets at most one line back, then is
// closed; one connection is served at a time (the others wait in the
// listen queue).  What the commands do is the handler's business
// (disorder-playrtp.cpp: stop, query, getvol, setvol).
//
// A client that sends nothing for kTimeout is dropped.  The socket file
// is removed again when the object goes away.  Starting refuses to take
// over a socket where another listener still answers.
//
// Threads: the loop thread only.
#pragma once

#include "event_loop.hpp"
#include "fd.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace disorder::playrtp {

class ControlSocket {
public:
  // The reply to a line (without its newline), or nullopt for none.
  using Handler = std::function<std::optional<std::string>(std::string_view line)>;
  static constexpr std::chrono::seconds kTimeout{10};
  static constexpr std::size_t kMaxLine = 1024;

  // Throws Error if another process serves `path`, SystemError if it
  // cannot be created.
  ControlSocket(EventLoop& loop, std::string path, Handler handler);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  ~ControlSocket();

private:
  void accept_one();
  void readable();
  void finish(const std::optional<std::string>& reply);

  EventLoop& loop_;
  std::string path_;
  Handler handler_;
  Fd listener_;
  std::unique_ptr<Event> accept_event_;
  Fd client_;
  std::unique_ptr<Event> client_event_;
  std::string line_;
};

} // namespace disorder::playrtp
