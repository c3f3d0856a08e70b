// The file being decoded: an owned descriptor with the positioned reads
// our parsers use and the sequential ones the decoding libraries'
// callbacks need.  Every read error becomes a SystemError naming the
// operation.
#pragma once

#include "byte_source.hpp"
#include "fd.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace disorder {

class InputFile : public ByteSource {
public:
  // Throws SystemError when the file cannot be opened, DecodeError when it
  // is not a regular file (the parsers need its size, and some must seek).
  explicit InputFile(const std::string& path);

  int fd() const { return fd_.get(); }
  std::uint64_t size() const override { return size_; }

  // Positioned read (pread), which leaves the file offset alone.
  std::size_t read_at(std::uint64_t offset, std::span<char> buf) override;

  // For the callbacks of C libraries, through which an exception must not
  // pass: -1 on error, remembered so that rethrow_error() can throw it once
  // the library has returned.
  long read_nothrow(void* buf, std::size_t n) noexcept;
  int seek_nothrow(std::int64_t offset, int whence) noexcept; // 0 or -1
  std::int64_t tell_nothrow() noexcept;
  // Throws the SystemError for the first failed _nothrow call, if any.
  void rethrow_error() const;

private:
  Fd fd_;
  std::uint64_t size_ = 0;
  int errno_ = 0;                // of the first failed _nothrow call
  const char* failed_ = nullptr; // and what it was
};

} // namespace disorder
