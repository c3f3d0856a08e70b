// What a daemon does at start, shared by disorderd and disorder-web: take
// the descriptor limit, detach (reporting success or failure to the
// starting shell) and give up root for the configured account.
#pragma once

#include "fd.hpp"

#include <string>

namespace disorder {

// Raises the soft RLIMIT_NOFILE to the hard limit: every client costs a
// descriptor, and the usual soft limit (1024) is far below what the system
// allows.  A failure is logged, not fatal.
void raise_descriptor_limit();

// Forks; the parent waits until the child reports (through the returned
// pipe) "ok" or why it failed, and exits 0 or 1, printing the reason as
// "PROGRAM: REASON".  The child starts a new session with stdin and stdout
// on /dev/null.
Fd daemonize(const std::string& program);

// Becomes `user` (its groups too) when running as root; throws Error if
// that fails, if root could be regained, or if `user` is empty (root is
// never kept).  Not root: `user` must be empty or the current account.
void become_user(const std::string& user);

} // namespace disorder
