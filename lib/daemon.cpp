// Daemon start-up shared by disorderd and disorder-web (daemon.hpp).
#include "daemon.hpp"

#include "error.hpp"
#include "log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

namespace disorder {

void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur == lim.rlim_max) return;
  rlim_t want = lim.rlim_max;
  if (want == RLIM_INFINITY) {
    // The kernel refuses an infinite descriptor limit; take its ceiling.
    want = 1 << 20;
    if (FILE* f = std::fopen("/proc/sys/fs/nr_open", "r")) {
      unsigned long n = 0;
      if (std::fscanf(f, "%lu", &n) == 1 && n > 0) want = n;
      std::fclose(f);
    }
  }
  lim.rlim_cur = want;
  if (::setrlimit(RLIMIT_NOFILE, &lim) < 0)
    log_warning(std::string("cannot raise the descriptor limit: ") + std::strerror(errno));
}

Fd daemonize(const std::string& program) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid > 0) {
    ::close(p[1]);
    std::string report;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
      report.append(buf, static_cast<size_t>(n));
    if (report == "ok") std::_Exit(0);
    std::fprintf(stderr, "%s: %s\n", program.c_str(),
                 report.empty() ? "failed to start" : report.c_str());
    std::_Exit(1);
  }
  ::close(p[0]);
  if (::setsid() < 0) throw_errno("setsid");
  Fd null(::open("/dev/null", O_RDWR));
  if (null) {
    ::dup2(null.get(), 0);
    ::dup2(null.get(), 1);
  }
  return Fd(p[1]);
}

void become_user(const std::string& user) {
  if (::geteuid() != 0) {
    if (!user.empty()) {
      passwd* me = ::getpwuid(::getuid());
      if (!me || user != me->pw_name)
        throw Error("configured to run as '" + user +
                    "' but not started as root; start as root or remove 'user'");
    }
    return;
  }
  if (user.empty())
    throw Error("refusing to run as root: set 'user' in the configuration (for example "
                "'user jukebox') to the account the server should run as");
  passwd* pw = ::getpwnam(user.c_str());
  if (!pw) throw Error("no such user '" + user + "' (configuration item 'user')");
  if (::initgroups(pw->pw_name, pw->pw_gid) < 0) throw_errno("initgroups");
  if (::setgid(pw->pw_gid) < 0) throw_errno("setgid");
  if (::setuid(pw->pw_uid) < 0) throw_errno("setuid");
  if (::setuid(0) == 0) throw Error("could not give up root");
}

} // namespace disorder
