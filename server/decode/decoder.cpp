// Decoder::next(): the block loop shared by every decoder, including the
// rule that damage found part-way through a block costs only what follows.
#include "decoder.hpp"

#include <utility>

namespace disorder {

std::optional<PcmBlock> Decoder::next() {
  while (!ended_ && !assembler_.full()) {
    try {
      if (!decode_some(assembler_)) ended_ = true;
    } catch (const Error&) {
      // Whatever was decoded before the damage is still played: the error
      // is reported once the frames held have been handed out.
      deferred_ = std::current_exception();
      ended_ = true;
    }
  }
  if (!assembler_.empty()) return assembler_.take();
  if (deferred_) std::rethrow_exception(std::exchange(deferred_, nullptr));
  return std::nullopt;
}

} // namespace disorder
