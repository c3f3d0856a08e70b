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

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
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

class Scratch {
public:
  Scratch() {
    // In memory where there is a tmpfs: a file rewritten for every input
    // would otherwise cost a disk flush each time.
    std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    tmpl += "/disorder-fuzz-decode-XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    dir_ = tmpl;
    null_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_ < 0) std::abort();
  }
  ~Scratch() {
    ::close(null_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Writes a file named track.EXT holding data; returns its path.
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
  int null_fd() const { return null_; }

private:
  std::string dir_;
  int null_ = -1;
};

constexpr std::array<std::string_view, 8> kExtensions{"",    "wav",  "flac", "mp3",
                                                      "ogg", "opus", "oga",  "mp2"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Scratch scratch;
  if (size == 0) return 0;
  const std::string path =
      scratch.write(kExtensions[data[0] % kExtensions.size()],
                    std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    auto decoder = open_decoder(path);
    RawOutput output(scratch.null_fd());
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
