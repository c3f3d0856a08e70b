// The server's account and home, as disorder-dump uses them.
#include "dump/server_account.hpp"

#include "error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder {

namespace {

const passwd* server_user(const Config& config, bool enabled) {
  if (!enabled || ::geteuid() != 0 || config.user.empty()) return nullptr;
  const passwd* pw = ::getpwnam(config.user.c_str());
  if (!pw) throw Error("no such user '" + config.user + "' (configuration item 'user')");
  return pw;
}

void make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) {
    // The umask may have narrowed it.
    if (::chmod(path.c_str(), mode) < 0) throw_errno("chmod " + path);
  } else if (errno != EEXIST) {
    throw_errno("creating " + path);
  }
}

} // namespace

ServerAccount::ServerAccount(const Config& config, bool enabled) {
  const passwd* pw = server_user(config, enabled);
  if (!pw) return;
  saved_gid_ = ::getegid();
  int n = ::getgroups(0, nullptr);
  if (n < 0) throw_errno("getgroups");
  saved_groups_.resize(static_cast<size_t>(n));
  if (::getgroups(n, saved_groups_.data()) < 0) throw_errno("getgroups");
  if (::initgroups(pw->pw_name, pw->pw_gid) < 0) throw_errno("initgroups " + config.user);
  if (::setegid(pw->pw_gid) < 0) throw_errno("setegid");
  if (::seteuid(pw->pw_uid) < 0) throw_errno("seteuid");
  switched_ = true;
}

ServerAccount::~ServerAccount() {
  if (!switched_) return;
  // Back to root; these cannot fail with root as the saved user.
  (void)!::seteuid(0);
  (void)!::setegid(saved_gid_);
  (void)!::setgroups(saved_groups_.size(), saved_groups_.data());
}

void prepare_home(const Config& config, bool as_server) {
  struct stat st;
  if (::stat(config.home.c_str(), &st) < 0) {
    if (errno != ENOENT) throw_errno(config.home);
    make_dir(config.home, 0711);
    if (const passwd* pw = server_user(config, as_server))
      if (::chown(config.home.c_str(), pw->pw_uid, pw->pw_gid) < 0)
        throw_errno("chown " + config.home);
  }
  ServerAccount as_server_account(config, as_server);
  make_dir(config.home + "/private", 0700);
}

HomeLock::HomeLock(const std::string& home) {
  const std::string path = home + "/lock";
  fd_ = Fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("opening " + path);
  // A server that has just stopped may leave a child holding its copy of
  // the lock for a moment (disorderd allows the same grace).
  for (int attempt = 0; ::flock(fd_.get(), LOCK_EX | LOCK_NB) < 0; ++attempt) {
    if (errno != EWOULDBLOCK) throw_errno("locking " + path);
    if (attempt == 30)
      throw Error("disorderd is running on " + home +
                  ": stop it before --undump; nothing was "
                  "changed");
    ::usleep(100000);
  }
}

} // namespace disorder
