// authorize: create a user for a UNIX login with a random password, and
// write that password to the login's ~/.disorder/passwd so that the user
// can use disorder at once.
#include "cli.hpp"

#include "crypto.hpp"
#include "fd.hpp"
#include "split.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder::cli {

namespace {

struct UnixUser {
  std::string name;
  uid_t uid;
  gid_t gid;
  std::string home;
};

UnixUser find_unix_user(const std::string& name) {
  const passwd* pw = ::getpwnam(name.c_str());
  if (!pw) throw Error("'" + name + "' is not a UNIX login user");
  return {pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir};
}

// The new passwd file: the lines of the old one that set anything but the
// password (a `connect`, say), then the new password.
std::string passwd_contents(const std::string& path, const std::string& password) {
  std::string out;
  std::ifstream old(path);
  std::string line;
  while (std::getline(old, line)) {
    bool is_password = false;
    try {
      auto f = split_fields(line, SplitMode::config);
      is_password = !f.empty() && f[0] == "password";
    } catch (const SyntaxError&) {
      // Not ours to judge: keep it as it was.
    }
    if (!is_password) out += line + "\n";
  }
  out += "password " + quote_field(password) + "\n";
  return out;
}

// Replace dir/passwd atomically, readable by its owner only.
void write_passwd_file(const std::string& dir, const std::string& password) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("cannot create " + dir);
  const std::string path = dir + "/passwd";
  const std::string contents = passwd_contents(path, password);
  std::string temporary = path + ".XXXXXX";
  Fd fd(::mkostemp(temporary.data(), O_CLOEXEC)); // mode 0600
  if (!fd) throw_errno("cannot create a file in " + dir);
  try {
    write_all(fd.get(), contents);
    if (::fsync(fd.get()) < 0) throw_errno("cannot write " + temporary);
    if (::close(fd.release()) < 0) throw_errno("cannot write " + temporary);
    if (::rename(temporary.c_str(), path.c_str()) < 0) throw_errno("cannot replace " + path);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
}

// Run work with the identity of user.  As root, in a child process that
// has become the user: writing into someone else's home directory as root
// would follow whatever symbolic links they had put there.  Otherwise in
// this process, where the file system's own permission checks apply.
void as_user(const UnixUser& user, const std::function<void()>& work) {
  if (::geteuid() != 0 || user.uid == 0) {
    work();
    return;
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
  Fd from_child(p[0]), to_parent(p[1]);
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The child reports a failure as text on the pipe and never returns
    // into the caller's stack.
    std::string failure;
    try {
      if (::initgroups(user.name.c_str(), user.gid) < 0) throw_errno("initgroups");
      if (::setgid(user.gid) < 0) throw_errno("setgid");
      if (::setuid(user.uid) < 0) throw_errno("setuid");
      work();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure.empty()) ::_exit(0);
    try {
      write_all(to_parent.get(), failure);
    } catch (...) {
    }
    ::_exit(1);
  }
  to_parent.reset();
  std::string failure;
  char buffer[512];
  while (true) {
    ssize_t n = ::read(from_child.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    failure.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(failure.empty() ? "the process writing the password file failed" : failure);
}

} // namespace

void authorize(Context& context, Args args) {
  const UnixUser user = find_unix_user(args[0]);
  // 128 bits from a strong source, in hex so it never needs quoting.
  const std::string password = to_hex(random_bytes(16));
  std::optional<std::string> rights;
  if (args.size() > 1) rights = args[1];
  context.client().adduser(user.name, password, rights);
  const std::string dir = user.home + "/.disorder";
  try {
    as_user(user, [&] { write_passwd_file(dir, password); });
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (user '" + user.name +
                "' has been created all the same; remove it with 'disorder deluser " + user.name +
                "' before trying again)");
  }
}

} // namespace disorder::cli
