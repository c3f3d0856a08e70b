// InputFile: the file being decoded.
#include "input_file.hpp"

#include "decode_error.hpp"
#include "error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder {

InputFile::InputFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (!fd_) throw_errno("cannot open");
  struct stat st;
  if (::fstat(fd_.get(), &st) < 0) throw_errno("cannot stat");
  if (S_ISDIR(st.st_mode)) throw SystemError("cannot read", EISDIR);
  if (!S_ISREG(st.st_mode)) throw DecodeError("not a regular file");
  size_ = static_cast<std::uint64_t>(st.st_size);
}

std::size_t InputFile::read_at(std::uint64_t offset, std::span<char> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n =
        ::pread(fd_.get(), buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read error");
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

long InputFile::read_nothrow(void* buf, std::size_t n) noexcept {
  for (;;) {
    ssize_t r = ::read(fd_.get(), buf, n);
    if (r >= 0) return static_cast<long>(r);
    if (errno == EINTR) continue;
    if (!failed_) {
      errno_ = errno;
      failed_ = "read error";
    }
    return -1;
  }
}

int InputFile::seek_nothrow(std::int64_t offset, int whence) noexcept {
  if (::lseek(fd_.get(), offset, whence) >= 0) return 0;
  if (!failed_) {
    errno_ = errno;
    failed_ = "seek error";
  }
  return -1;
}

std::int64_t InputFile::tell_nothrow() noexcept {
  off_t r = ::lseek(fd_.get(), 0, SEEK_CUR);
  if (r < 0 && !failed_) {
    errno_ = errno;
    failed_ = "seek error";
  }
  return r;
}

void InputFile::rethrow_error() const {
  if (failed_) throw SystemError(failed_, errno_);
}

} // namespace disorder
