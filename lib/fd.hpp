// Owning wrapper for a file descriptor, and small fd helpers shared by the
// programs (non-blocking mode, close-on-exec, full writes).
#pragma once

#include <string_view>
#include <utility>

namespace disorder {

// Owns one file descriptor and closes it on destruction.  Move-only.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Give up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

private:
  int fd_ = -1;
};

void set_nonblocking(int fd);
void set_cloexec(int fd);
// Write all of data, retrying on EINTR and short writes (blocking fds only).
void write_all(int fd, std::string_view data);

} // namespace disorder
