// libFuzzer target for disorder-decode's decoders (server/decode/): the
// input is written to a file and opened through the decoder table, as
// disorder-decode opens a track, so the MP3 (libmpg123), Ogg Vorbis
// (libvorbisfile), Opus (libopusfile), FLAC and Ogg FLAC (libFLAC) and WAV
// wrappers, the format sniffer and the block assembler all see hostile
// files.  The first byte chooses the file's extension (none, wav, flac,
// mp3, ogg, opus, oga, mp2), which decides the decoder unless the bytes
// say otherwise; the rest is the file.  Decoded blocks are written out as
// raw stream segments, as disorder-decode does.
//
// DecodeError (or any other disorder::Error) is a correct answer; a crash,
// a hang, any other exception, or a block that is not whole frames of a
// format the raw stream carries is a bug.  The decoding libraries are not
// built with coverage, so the fuzzer steers by our code only.
#include "server/decode/block_assembler.hpp"
#include "server/decode/decoder.hpp"
#include "server/decode/raw_output.hpp"
#include "tests/fuzz/scratch_file.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using namespace disorder;

// Enough blocks to cross several frames and format changes; a stream that
// decodes to more is cut there, so every input stays fast.
constexpr int kMaxBlocks = 32;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr std::array<std::string_view, 8> kExtensions{"",    "wav",  "flac", "mp3",
                                                      "ogg", "opus", "oga",  "mp2"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::ScratchFile scratch("decode");
  static const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (size == 0) return 0;
  const std::string path =
      scratch.write(kExtensions[data[0] % kExtensions.size()],
                    std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    auto decoder = open_decoder(path);
    RawOutput output(null_fd);
    for (int i = 0; i < kMaxBlocks; ++i) {
      auto block = decoder->next();
      if (!block) break;
      require(block->format.valid());
      require(block->bytes.size() % block->format.bytes_per_frame() == 0);
      output.write(*block);
    }
  } catch (const Error&) {
  }
  return 0;
}
