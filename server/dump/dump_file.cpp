// Reading and writing dump files.
#include "dump/dump_file.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder {

std::string read_regular_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("opening " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) throw_errno(path);
  if (!S_ISREG(st.st_mode)) throw Error(path + " is not a regular file");
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("reading " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_file_privately(const std::string& path, std::string_view contents) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw Error(path + " is not a regular file");
  std::string tmp = path + ".XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) throw_errno("creating a temporary file for " + path);
  try {
    // mkostemp makes it 0600; say so rather than rely on it.
    if (::fchmod(fd.get(), 0600) < 0) throw_errno("chmod " + tmp);
    write_all(fd.get(), contents);
    if (::fsync(fd.get()) < 0) throw_errno("writing " + tmp);
    if (::close(fd.release()) < 0) throw_errno("writing " + tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("renaming " + tmp + " to " + path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

} // namespace disorder
