// For fuzz targets whose code under test reads a file by name (decoders,
// the tag reader): a private directory, in memory where /dev/shm is
// writable, in which each input is written as track.EXT.
#pragma once

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace disorder::fuzz {

class ScratchFile {
public:
  // name goes into the directory's name, for whoever finds one left over.
  explicit ScratchFile(std::string_view name) {
    // On a tmpfs, a file rewritten for every input costs no disk flush.
    std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    ((tmpl += "/disorder-fuzz-") += name) += "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    dir_ = tmpl;
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Writes track.EXT (track when ext is empty) holding data; returns its path.
  std::string write(std::string_view ext, std::string_view data) {
    std::string path = dir_ + "/track";
    if (!ext.empty()) (path += '.') += ext;
    ::unlink(path.c_str()); // not O_TRUNC, which ext4 follows with a flush
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    while (!data.empty()) {
      ssize_t n = ::write(fd, data.data(), data.size());
      if (n <= 0) std::abort();
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(fd);
    return path;
  }

private:
  std::string dir_;
};

} // namespace disorder::fuzz
