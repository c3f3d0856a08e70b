// Child processes for the daemons: spawning a program with some of its
// standard fds connected to pipes, and reaping children from the event loop
// (SIGCHLD) so that the loop never blocks in waitpid().
#pragma once

#include "event_loop.hpp"
#include "fd.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace disorder {

struct SpawnOptions {
  std::vector<std::string> argv;                        // argv[0] is the program (PATH searched)
  std::vector<std::pair<std::string, std::string>> env; // added to the environment
  bool pipe_stdout = false;                             // give the parent a read end
  int nice = 0;                                         // added niceness for the child
  bool new_process_group = false;                       // so a signal can reach all it starts
  // {parent fd, child fd}: the child gets a copy of parent fd as child fd
  // (not close-on-exec); {-1, -1} for none.
  std::pair<int, int> inherit_fd{-1, -1};
  int stdin_fd = -1;  // the child's stdin, if not inherited
  int stdout_fd = -1; // the child's stdout, if not inherited (and not pipe_stdout)
  int stderr_fd = -1; // the child's stderr, if not inherited
};

struct Spawned {
  pid_t pid = -1;
  Fd stdout_read; // when pipe_stdout
};

// fork + exec.  Throws SystemError if the fork fails; a failed exec makes
// the child exit with status 127 after writing the reason to stderr.
Spawned spawn(const SpawnOptions& options);

// Reaps children on the loop and calls each one's callback with its wait
// status.  One per process (it owns the SIGCHLD handler).
class ChildReaper {
public:
  explicit ChildReaper(EventLoop& loop);
  // cb runs on the loop thread once pid has exited, from the loop (or
  // poll()), never from within watch(): even a child that has exited
  // already is reported only after the caller returns to the loop.
  void watch(pid_t pid, std::function<void(int wstatus)> cb);
  // Forget pid (the callback will not run).
  void forget(pid_t pid);
  // Reaps now whatever watched child has exited, rather than when the
  // SIGCHLD is next handled: for a caller that learnt of an exit another
  // way (the child's pipe closed) and needs its status at once.
  void poll() { reap(); }

private:
  void reap();
  std::map<pid_t, std::function<void(int)>> watched_;
  std::unique_ptr<Event> sigchld_;
  std::unique_ptr<Event> soon_; // a reap on the loop's next turn, for watch()
};

// A description of a wait status for logs: "exited with status 3",
// "killed by signal 9 (Killed)".
std::string describe_wait_status(int wstatus);

// The path of a companion program: the one next to the running executable
// if there is one (an uninstalled build tree), else installed_dir/name.
std::string companion_program(const std::string& name, const std::string& installed_dir);

} // namespace disorder
