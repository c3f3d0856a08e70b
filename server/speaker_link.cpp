// Starting, restarting and talking to disorder-speaker.
#include "speaker_link.hpp"

#include "error.hpp"
#include "log.hpp"
#include "speaker_protocol.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <event2/event.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace disorder {

namespace {
constexpr int kChildControlFd = 3;
}

SpeakerLink::SpeakerLink(EventLoop& loop, ChildReaper& reaper, std::string config_path, int nice,
                         Listener& listener)
    : loop_(loop), reaper_(reaper), config_path_(std::move(config_path)), nice_(nice),
      listener_(listener) {
  restart_timer_ = Event::timer(loop_, [this](short) { start(); });
}

SpeakerLink::~SpeakerLink() {
  stopping_ = true;
  if (pid_ > 0) {
    reaper_.forget(pid_);
    send({"quit"});
    ::kill(pid_, SIGTERM);
  }
}

void SpeakerLink::start() {
  if (pid_ > 0 || stopping_) return;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
  Fd ours(sv[0]), theirs(sv[1]);
  // The child's end must survive exec as fd 3: spawn() dup2s nothing but
  // stdout, so pass it through a dup without CLOEXEC.
  SpawnOptions opts;
  opts.argv = {companion_program("disorder-speaker", SBINDIR), "--config", config_path_,
               "--control-fd", std::to_string(kChildControlFd)};
  if (log_debug_enabled()) opts.argv.push_back("--debug");
  opts.nice = nice_;
  opts.inherit_fd = {theirs.get(), kChildControlFd};
  auto child = spawn(opts);
  pid_ = child.pid;
  theirs.reset();
  control_ = std::move(ours);
  set_nonblocking(control_.get());
  started_ = std::chrono::steady_clock::now();
  readable_ =
      Event::io(loop_, control_.get(), EV_READ | EV_PERSIST, [this](short) { on_readable(); });
  readable_->add();
  reaper_.watch(pid_, [this](int wstatus) { on_exit(wstatus); });
  log_info("started speaker (pid " + std::to_string(pid_) + ")");
  send({"hello", std::to_string(kSpeakerProtocolVersion)});
  for (const auto& [key, fields] : standing_)
    send(fields);
  listener_.speaker_restarted();
}

void SpeakerLink::restart() {
  if (pid_ <= 0) return; // starting anyway, with the configuration as it is then
  restarting_ = true;
  send({"quit"});
  ::kill(pid_, SIGTERM);
}

void SpeakerLink::set_standing(const std::string& key, std::vector<std::string> fields) {
  send(fields);
  standing_[key] = std::move(fields);
}

void SpeakerLink::withdraw_standing(const std::string& key, const std::vector<std::string>& undo) {
  if (standing_.erase(key)) send(undo);
}

bool SpeakerLink::send(const std::vector<std::string>& fields, int fd) {
  if (!control_) return false;
  if (!pending_.empty()) return queue(fields, fd); // after those, in order
  try {
    send_speaker_message(control_.get(), fields, fd);
    return true;
  } catch (const SystemError& e) {
    if (e.code() == EAGAIN || e.code() == EWOULDBLOCK) return queue(fields, fd);
    log_error(std::string("speaker: ") + e.what());
    return false;
  } catch (const std::exception& e) {
    log_error(std::string("speaker: ") + e.what());
    return false;
  }
}

bool SpeakerLink::queue(const std::vector<std::string>& fields, int fd) {
  if (!fields.empty() && fields[0] == "volume" && !pending_.empty() &&
      !pending_.back().fields.empty() && pending_.back().fields[0] == "volume") {
    pending_.back().fields = fields;
    return true;
  }
  if (pending_.size() >= kMaxPending) {
    log_error("speaker: not reading its control channel (" + std::to_string(pending_.size()) +
              " messages waiting); '" + (fields.empty() ? "" : fields[0]) + "' not sent");
    return false;
  }
  Fd copy;
  if (fd >= 0) {
    copy.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!copy) {
      log_error(std::string("speaker: cannot keep a descriptor to send later: ") +
                std::strerror(errno));
      return false;
    }
  }
  pending_.push_back({fields, std::move(copy)});
  if (!writable_) {
    writable_ =
        Event::io(loop_, control_.get(), EV_WRITE | EV_PERSIST, [this](short) { on_writable(); });
    writable_->add();
  }
  return true;
}

void SpeakerLink::on_writable() {
  while (control_ && !pending_.empty()) {
    Pending& p = pending_.front();
    try {
      send_speaker_message(control_.get(), p.fields, p.fd ? p.fd.get() : -1);
    } catch (const SystemError& e) {
      if (e.code() == EAGAIN || e.code() == EWOULDBLOCK) return; // still full
      log_error(std::string("speaker: ") + e.what());
    } catch (const std::exception& e) {
      log_error(std::string("speaker: ") + e.what());
    }
    pending_.pop_front();
  }
  writable_.reset();
}

void SpeakerLink::on_readable() {
  while (control_) {
    std::optional<SpeakerMessage> m;
    try {
      m = receive_speaker_message(control_.get());
    } catch (const SystemError& e) {
      if (e.code() == EAGAIN) return;
      log_error(std::string("speaker channel: ") + e.what());
      m.reset();
    } catch (const SyntaxError& e) {
      log_error(std::string("speaker sent a malformed message: ") + e.what());
      continue;
    }
    if (!m) {
      // The speaker closed its end; its exit is handled by on_exit().
      readable_.reset();
      writable_.reset();
      pending_.clear();
      control_.reset();
      return;
    }
    listener_.speaker_message(m->fields);
  }
}

void SpeakerLink::on_exit(int wstatus) {
  pid_ = -1;
  readable_.reset();
  writable_.reset();
  pending_.clear(); // a new speaker gets the standing messages and tracks afresh
  control_.reset();
  if (stopping_) return;
  if (restarting_) {
    restarting_ = false;
    log_info("speaker stopped for its new settings; starting it again");
    restart_timer_->add(std::chrono::milliseconds(0));
    return;
  }
  log_error("speaker " + describe_wait_status(wstatus));
  // Restart at once, but back off if it keeps dying as soon as it starts
  // (a broken configuration or sound device).
  auto lived = std::chrono::steady_clock::now() - started_;
  quick_deaths_ = lived < std::chrono::seconds(5) ? quick_deaths_ + 1 : 0;
  auto delay = std::chrono::milliseconds(quick_deaths_ > 2 ? 5000 : 100);
  restart_timer_->add(delay);
}

} // namespace disorder
