// Implementation of spawning and reaping children.
#include "subprocess.hpp"

#include "error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder {

Spawned spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw Error("spawn: empty argument list");
  int out[2] = {-1, -1};
  if (options.pipe_stdout && ::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe");
  Fd out_read(out[0]), out_write(out[1]);
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : options.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : options.env)
    env_storage.push_back(k + "=" + v);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (options.new_process_group) ::setpgid(0, 0);
    if (options.pipe_stdout) ::dup2(out_write.get(), 1);
    if (options.stdin_fd >= 0) ::dup2(options.stdin_fd, 0);
    if (options.stdout_fd >= 0 && !options.pipe_stdout) ::dup2(options.stdout_fd, 1);
    if (options.stderr_fd >= 0) ::dup2(options.stderr_fd, 2);
    if (options.inherit_fd.first >= 0) {
      // dup2 to a different number clears close-on-exec; to the same
      // number it would not, so clear it explicitly.
      if (options.inherit_fd.first == options.inherit_fd.second)
        ::fcntl(options.inherit_fd.second, F_SETFD, 0);
      else
        ::dup2(options.inherit_fd.first, options.inherit_fd.second);
    }
    for (auto& e : env_storage)
      ::putenv(e.data());
    if (options.nice) ::setpriority(PRIO_PROCESS, 0, options.nice);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    const char* why = std::strerror(errno);
    auto say = [](const char* s) { (void)!::write(2, s, std::strlen(s)); };
    say("cannot execute ");
    say(argv[0]);
    say(": ");
    say(why);
    say("\n");
    ::_exit(127);
  }
  Spawned s;
  s.pid = pid;
  if (options.pipe_stdout) s.stdout_read = std::move(out_read);
  return s;
}

ChildReaper::ChildReaper(EventLoop& loop) {
  sigchld_ = Event::signal(loop, SIGCHLD, [this](short) { reap(); });
  soon_ = Event::timer(loop, [this](short) { reap(); });
}

void ChildReaper::watch(pid_t pid, std::function<void(int)> cb) {
  watched_[pid] = std::move(cb);
  // It may have exited already, and its SIGCHLD been handled before it was
  // watched: look again from the loop.  Not now: a child that fails at once
  // on a busy machine would have its callback run before the caller had
  // recorded what it started, and its status would be lost.
  soon_->add(std::chrono::microseconds(0));
}

void ChildReaper::forget(pid_t pid) {
  watched_.erase(pid);
}

void ChildReaper::reap() {
  // Only reap the children we watch: others (if any) belong to someone
  // else.  Callbacks run after the scan, since they may watch new children.
  std::vector<std::pair<std::function<void(int)>, int>> done;
  for (auto it = watched_.begin(); it != watched_.end();) {
    int status = 0;
    if (::waitpid(it->first, &status, WNOHANG) == it->first) {
      done.emplace_back(std::move(it->second), status);
      it = watched_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [cb, status] : done)
    cb(status);
}

std::string describe_wait_status(int wstatus) {
  if (WIFEXITED(wstatus)) return "exited with status " + std::to_string(WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) {
    int sig = WTERMSIG(wstatus);
    return "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")" +
           (WCOREDUMP(wstatus) ? ", core dumped" : "");
  }
  return "wait status " + std::to_string(wstatus);
}

std::string companion_program(const std::string& name, const std::string& installed_dir) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    std::string candidate = self.substr(0, self.rfind('/') + 1) + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && (st.st_mode & S_IXUSR)) return candidate;
  }
  return installed_dir + "/" + name;
}

} // namespace disorder
