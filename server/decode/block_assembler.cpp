// Implementation of BlockAssembler.  Buffers are recycled so that, once the
// first few blocks have been built, decoding allocates nothing.
#include "block_assembler.hpp"

#include <cassert>
#include <utility>

namespace disorder {

BlockAssembler::Piece& BlockAssembler::back_for(const AudioFormat& format) {
  if (pieces_.empty() || pieces_.back().format != format) {
    Piece p{format, std::move(spare_)};
    p.bytes.clear();
    spare_ = {};
    pieces_.push_back(std::move(p));
  }
  return pieces_.back();
}

void BlockAssembler::append(const AudioFormat& format, std::span<const char> pcm) {
  if (pcm.empty()) return;
  assert(pcm.size() % format.bytes_per_frame() == 0);
  auto& bytes = back_for(format).bytes;
  bytes.insert(bytes.end(), pcm.begin(), pcm.end());
}

std::span<char> BlockAssembler::reserve(const AudioFormat& format, std::size_t bytes) {
  auto& v = back_for(format).bytes;
  reserved_from_ = v.size();
  v.resize(v.size() + bytes);
  return {v.data() + reserved_from_, bytes};
}

void BlockAssembler::commit(std::size_t bytes) {
  assert(!pieces_.empty());
  Piece& p = pieces_.back();
  assert(reserved_from_ + bytes <= p.bytes.size());
  assert(bytes % p.format.bytes_per_frame() == 0);
  p.bytes.resize(reserved_from_ + bytes);
  // A reservation that produced nothing must not leave an empty block behind.
  if (p.bytes.empty()) {
    spare_ = std::move(p.bytes);
    pieces_.pop_back();
  }
}

PcmBlock BlockAssembler::take() {
  if (pieces_.empty()) return {taken_.format, {}};
  spare_ = std::move(taken_.bytes);
  taken_ = std::move(pieces_.front());
  pieces_.pop_front();
  return {taken_.format, taken_.bytes};
}

} // namespace disorder
