// Random access to the bytes of a file, as the parsers see it: a file on
// disk in disorder-decode, a buffer in the tests and the fuzz target.
#pragma once

#include <cstdint>
#include <span>

namespace disorder {

class ByteSource {
public:
  virtual ~ByteSource() = default;
  // Copies up to buf.size() bytes starting at `offset` into buf and returns
  // how many; fewer only at the end of the data (0 beyond it).  Throws
  // SystemError on a read error.
  virtual std::size_t read_at(std::uint64_t offset, std::span<char> buf) = 0;
  // The number of bytes there are.
  virtual std::uint64_t size() const = 0;
};

// A ByteSource over bytes in memory, which it does not own.
class MemoryByteSource : public ByteSource {
public:
  explicit MemoryByteSource(std::span<const char> data) : data_(data) {}
  std::size_t read_at(std::uint64_t offset, std::span<char> buf) override;
  std::uint64_t size() const override { return data_.size(); }

private:
  std::span<const char> data_;
};

} // namespace disorder
