// Starting, following and finishing disorder-rescan children.
#include "rescanner.hpp"

#include "connection.hpp"
#include "log.hpp"
#include "server.hpp"
#include "subprocess.hpp"

#include <algorithm>
#include <cerrno>
#include <event2/event.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder {

namespace {
constexpr auto kDaily = std::chrono::hours(24);
}

Rescanner::Rescanner(Server& server) : server_(server) {
  daily_ = Event::timer(server_.loop(), [this](short) {
    request(false);
    schedule_daily();
  });
  schedule_daily();
}

Rescanner::~Rescanner() {
  if (pid_ > 0) {
    server_.reaper().forget(pid_);
    ::kill(pid_, SIGTERM);
  }
}

void Rescanner::schedule_daily() {
  daily_->add(kDaily);
}

void Rescanner::start_if_never_scanned() {
  auto& st = server_.db().cached("SELECT 1 FROM rescan_state WHERE key = 'completed'");
  bool scanned = st.step();
  st.reset();
  if (!scanned) request(false);
}

void Rescanner::request(bool again) {
  if (running()) {
    if (again) again_ = true;
    return;
  }
  start();
}

void Rescanner::add_waiter(Connection* conn) {
  if (again_)
    next_waiters_.push_back(conn);
  else
    waiters_.push_back(conn);
}

void Rescanner::connection_gone(Connection* conn) {
  std::erase(waiters_, conn);
  std::erase(next_waiters_, conn);
}

void Rescanner::start() {
  SpawnOptions opts;
  opts.argv = {companion_program("disorder-rescan", SBINDIR), "--config",
               server_.config_paths().system, "--progress"};
  if (log_debug_enabled()) opts.argv.push_back("--debug");
  opts.pipe_stdout = true;
  opts.nice = server_.config().nice_rescan;
  try {
    auto child = spawn(opts);
    pid_ = child.pid;
    output_ = std::move(child.stdout_read);
  } catch (const std::exception& e) {
    log_error(std::string("cannot start rescan: ") + e.what());
    for (auto* c : waiters_)
      c->finish_deferred_reply(550, "rescan failed to start");
    waiters_.clear();
    return;
  }
  set_nonblocking(output_.get());
  progress_ = 0;
  published_ = -1;
  partial_.clear();
  output_event_ = Event::io(server_.loop(), output_.get(), EV_READ | EV_PERSIST,
                            [this](short) { on_output(); });
  // Bulk work, which must not keep clients waiting until the rescan ends:
  // served in turn with them.
  output_event_->set_priority(Priority::clients);
  output_event_->add();
  server_.reaper().watch(pid_, [this](int wstatus) { on_exit(wstatus); });
  log_info("rescan started");
}

void Rescanner::on_output() {
  char buf[4096];
  while (true) {
    ssize_t n = ::read(output_.get(), buf, sizeof buf);
    if (n > 0) {
      partial_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      output_event_.reset();
      output_.reset();
    }
    break;
  }
  size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    try {
      progress_ = std::stol(line);
    } catch (const std::exception&) {
      log_debug("rescan: unexpected output '" + line + "'");
    }
  }
  if (progress_ != published_) {
    published_ = progress_;
    server_.events().emit("rescan_progress", {std::to_string(progress_)}, Audience::user_admins);
  }
}

void Rescanner::on_exit(int wstatus) {
  if (output_) on_output(); // whatever is left in the pipe
  output_event_.reset();
  output_.reset();
  pid_ = -1;
  bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  auto waiters = std::move(waiters_);
  waiters_ = std::move(next_waiters_);
  next_waiters_.clear();
  if (ok) {
    log_info("rescan completed: " + std::to_string(progress_) + " tracks");
    try {
      server_.db()
          .cached(
              "INSERT INTO rescan_state (key, value) VALUES ('completed', strftime('%s','now')) "
              "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
          .run();
    } catch (const DatabaseError& e) {
      // The rescan itself is done; at worst the next start rescans again.
      log_error(std::string("recording the rescan: ") + e.what());
    }
    server_.events().emit("rescanned", {});
    server_.playback().tick(); // random play may now have tracks to pick
  } else {
    log_error("rescan " + describe_wait_status(wstatus));
  }
  for (auto* c : waiters) {
    if (ok)
      c->finish_deferred_reply(250, "rescan completed");
    else
      c->finish_deferred_reply(550, "rescan failed: " + describe_wait_status(wstatus));
  }
  if (again_) {
    again_ = false;
    start();
  }
}

} // namespace disorder
