// AudioFormat helpers.
#include "audio_format.hpp"

namespace disorder {

std::string AudioFormat::to_string() const {
  return std::to_string(bits) + (byte_order == std::endian::big ? "b" : "l") + "/" +
         std::to_string(rate) + "/" + std::to_string(channels);
}

bool AudioFormat::valid() const {
  return channels >= 1 && channels <= 8 && (bits == 8 || bits == 16 || bits == 24 || bits == 32) &&
         rate >= 1 && rate <= 768000;
}

} // namespace disorder
