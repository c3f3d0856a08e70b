// libFuzzer target for the WAV parser: any bytes, as a WAV file in memory.
// A DecodeError is a correct answer; a crash, a hang, or a layout that does
// not fit the file or the raw stream is a bug.
#include "server/decode/byte_source.hpp"
#include "server/decode/decode_error.hpp"
#include "server/decode/wav_parser.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  disorder::MemoryByteSource source({reinterpret_cast<const char*>(data), size});
  disorder::WavLayout layout;
  try {
    layout = disorder::parse_wav(source);
  } catch (const disorder::DecodeError&) {
    return 0;
  }
  const std::size_t frame = layout.format.bytes_per_frame();
  if (!layout.format.valid() || layout.data_bytes % frame != 0 ||
      layout.data_offset + layout.data_bytes > size)
    __builtin_trap();
  // Read and convert the PCM in blocks, as the decoder does.
  std::vector<char> block(frame * 64);
  for (std::uint64_t at = 0; at < layout.data_bytes; at += block.size()) {
    std::size_t want = std::min<std::uint64_t>(block.size(), layout.data_bytes - at);
    if (source.read_at(layout.data_offset + at, std::span(block).first(want)) != want)
      __builtin_trap();
    disorder::convert_wav_samples(layout, std::span(block).first(want));
  }
  return 0;
}
