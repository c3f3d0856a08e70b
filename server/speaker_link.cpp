// Starting, restarting and talking to disorder-speaker.
#include "speaker_link.hpp"

#include "error.hpp"
#include "log.hpp"
#include "speaker_protocol.hpp"

#include <cerrno>
#include <csignal>
#include <event2/event.h>
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
  try {
    send_speaker_message(control_.get(), fields, fd);
    return true;
  } catch (const std::exception& e) {
    log_error(std::string("speaker: ") + e.what());
    return false;
  }
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
      control_.reset();
      return;
    }
    listener_.speaker_message(m->fields);
  }
}

void SpeakerLink::on_exit(int wstatus) {
  pid_ = -1;
  readable_.reset();
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
