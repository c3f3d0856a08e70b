// MemoryByteSource.
#include "byte_source.hpp"

#include <algorithm>
#include <cstring>

namespace disorder {

std::size_t MemoryByteSource::read_at(std::uint64_t offset, std::span<char> buf) {
  if (offset >= data_.size()) return 0;
  std::size_t n = std::min<std::uint64_t>(buf.size(), data_.size() - offset);
  std::memcpy(buf.data(), data_.data() + offset, n);
  return n;
}

} // namespace disorder
