// disorderd --wait-for-root: look for the root user through the running
// server's privileged socket, else in the database, until it is there.
#include "wait_for_root.hpp"

#include "client.hpp"
#include "error.hpp"
#include "sqlite.hpp"

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <thread>
#include <unistd.h>

namespace disorder {

namespace {

enum class Seen { yes, not_yet, denied };

// The server's files belong to `user`: look at them as that user, so that
// SQLite's shared-memory file, if it makes one, does not end up owned by
// root where the server could not open it.
void become_server_user(const Config& config) {
  if (::geteuid() != 0 || config.user.empty()) return;
  passwd* pw = ::getpwnam(config.user.c_str());
  if (!pw) throw Error("no such user '" + config.user + "' (configuration item 'user')");
  if (::initgroups(pw->pw_name, pw->pw_gid) < 0) throw_errno("initgroups");
  if (::setgid(pw->pw_gid) < 0) throw_errno("setgid");
  if (::setuid(pw->pw_uid) < 0) throw_errno("setuid");
}

// A running server lets root in on the privileged socket without a
// password, once root exists (it creates root before it listens).
Seen root_on_socket(const Config& config) {
  try {
    Client c = Client::open_unix(config.private_socket_path());
    c.login_trusted("root");
    return Seen::yes;
  } catch (const SystemError& e) {
    return e.code() == EACCES || e.code() == EPERM ? Seen::denied : Seen::not_yet;
  } catch (const Error&) {
    // No server yet, one starting or stopping, or root refused (deleted).
    return Seen::not_yet;
  }
}

// A server that has run in this home left root in its database.
Seen root_in_database(const Config& config) {
  const std::string path = config.home + "/disorder.db";
  if (::access(path.c_str(), F_OK) < 0) return Seen::not_yet;
  if (::access(path.c_str(), R_OK) < 0) return errno == EACCES ? Seen::denied : Seen::not_yet;
  try {
    Database db(path, Database::ReadOnly{});
    auto& st = db.cached("SELECT 1 FROM users WHERE name = 'root'");
    return st.step() ? Seen::yes : Seen::not_yet;
  } catch (const DatabaseError&) {
    // Empty (being created), locked for longer than the busy timeout, or
    // without its tables yet.
    return Seen::not_yet;
  }
}

} // namespace

void wait_for_root(const Config& config, std::chrono::milliseconds poll) {
  become_server_user(config);
  while (true) {
    const Seen socket = root_on_socket(config);
    if (socket == Seen::yes) return;
    const Seen database = root_in_database(config);
    if (database == Seen::yes) return;
    if (socket == Seen::denied && database == Seen::denied)
      throw Error("cannot reach " + config.private_socket_path() + " nor read " + config.home +
                  "/disorder.db: run as root or as the server's user");
    std::this_thread::sleep_for(poll);
  }
}

} // namespace disorder
