// A read-only TagLib stream over a file descriptor.  TagLib's own FileStream
// asks stdio for the file's length with two seeks every time it wants it and
// re-reads the same few blocks at the start and the end of a file again and
// again while it probes for tags; this one knows the length from fstat and
// keeps the last two blocks it read, so that reading a file's headers costs
// a couple of pread calls.  Kernel read-ahead is turned off: only the blocks
// asked for are read, which is what matters when the collection is not in
// the page cache.
#pragma once

#include "fd.hpp"

#include <array>
#include <string>
#include <tiostream.h>

namespace disorder {

// The blocks a TagStream keeps, owned by the reader that makes the streams
// so that their buffers serve file after file.
class TagStreamCache {
public:
  static constexpr long kBlockSize = 32 * 1024;

private:
  friend class TagStream;
  struct Block {
    long start = -1; // file offset of data[0]; -1: empty
    long size = 0;
    std::string data; // kBlockSize bytes once used
  };
  std::array<Block, 2> blocks_;
  int next_ = 0; // the block to reuse next
};

class TagStream : public TagLib::IOStream {
public:
  // Opens path for reading.  When that fails, isOpen() is false and
  // error() is the errno.
  TagStream(const char* path, TagStreamCache& cache);

  int error() const { return error_; }

  TagLib::FileName name() const override { return path_; }
  TagLib::ByteVector readBlock(unsigned long length) override;
  // Never called on a read-only stream.
  void writeBlock(const TagLib::ByteVector&) override {}
  void insert(const TagLib::ByteVector&, unsigned long, unsigned long) override {}
  void removeBlock(unsigned long, unsigned long) override {}
  void truncate(long) override {}
  bool readOnly() const override { return true; }
  bool isOpen() const override { return static_cast<bool>(fd_); }
  void seek(long offset, Position p) override;
  long tell() const override { return position_; }
  long length() override { return size_; }

private:
  // Reads up to length bytes at offset into out; returns the count.
  long read_at(long offset, char* out, long length);

  const char* path_;
  TagStreamCache& cache_;
  Fd fd_;
  int error_ = 0;
  long size_ = 0;
  long position_ = 0;
};

} // namespace disorder
