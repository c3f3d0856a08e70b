// Acting on the server's home as the server does: as its account (so that
// what SQLite creates there belongs to the server, not to root), with the
// home's lock held while the database is replaced.  disorder-dump(8): run
// as root, it works in the home as the configured `user` unless told
// --no-setuid.
#pragma once

#include "config.hpp"
#include "fd.hpp"

#include <sys/types.h>
#include <vector>

namespace disorder {

// While alive, the effective user, group and groups are those of
// config.user.  Only the effective ones change: the real and saved user
// stay root, so that the dump file named on the command line is read and
// written as the caller, afterwards.  Does nothing when disabled, when not
// running as root, or when no user is configured.  Throws Error.
class ServerAccount {
public:
  ServerAccount(const Config& config, bool enabled);
  ServerAccount(const ServerAccount&) = delete;
  ServerAccount& operator=(const ServerAccount&) = delete;
  ~ServerAccount();

private:
  bool switched_ = false;
  gid_t saved_gid_ = 0;
  std::vector<gid_t> saved_groups_;
};

// Creates the server's home (mode 0711, belonging to the server's account
// when run as root) and its private directory (0700) when missing, as
// disorderd would on its first start.  Throws Error.
void prepare_home(const Config& config, bool as_server);

// The lock disorderd holds on home/lock while it runs.  Throws Error if a
// server holds it (after a few seconds' grace for one that is stopping).
class HomeLock {
public:
  explicit HomeLock(const std::string& home);

private:
  Fd fd_;
};

} // namespace disorder
