// Loading and first-time creation of the key files in home/private/.
#include "users/key_file.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace disorder {

std::string load_or_create_key(const std::string& path, std::size_t bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) throw_errno("opening " + path);
    std::string key = random_bytes(bytes);
    std::string tmp = path + ".new";
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) throw_errno("creating " + tmp);
    write_all(out.get(), key);
    if (::fsync(out.get()) < 0) throw_errno("fsync " + tmp);
    out.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("renaming " + tmp);
    return key;
  }
  // One byte more than expected, to tell a long file from a right one.
  std::vector<char> buf(bytes + 1);
  ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n < 0) throw_errno("reading " + path);
  if (static_cast<std::size_t>(n) != bytes) throw Error(path + ": not a valid key file");
  return std::string(buf.data(), bytes);
}

} // namespace disorder
