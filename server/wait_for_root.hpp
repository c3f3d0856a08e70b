// disorderd --wait-for-root: wait until a server's root user exists, for
// scripts and test programs that start the server and then need to log in.
#pragma once

#include "config.hpp"

#include <chrono>

namespace disorder {

// Returns once the user 'root' exists in the server described by config:
// the running server lets root in on its privileged socket, or the database
// in home holds root (a server has run there before).  Starts no server and
// creates nothing in home; run as root, it first takes the identity of
// `user`, so that whatever SQLite leaves beside the database belongs to the
// server.  Looks again every poll interval, for as long as it takes.  Throws
// Error when it can neither reach the socket nor read the database because
// it lacks the permission (it would wait for ever).
void wait_for_root(const Config& config,
                   std::chrono::milliseconds poll = std::chrono::milliseconds(100));

} // namespace disorder
