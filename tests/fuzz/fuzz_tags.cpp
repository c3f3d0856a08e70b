// libFuzzer target for disorder-rescan's tag reader (server/rescan/
// track_reader.* and tag_stream.*, TagLib behind them): the input is
// written to a file and read as the rescan reads every new track.  The
// first byte chooses the file's extension, which is how TagLib picks a
// format (none, mp3, ogg, oga, opus, flac, wav, m4a, wma, aiff, ape, mpc,
// wv, spx, tta, mod, s3m, it, xm, mp4); the rest is the file.  With player
// patterns configured, any of these can reach TagLib.
//
// Any ReadStatus but `unreadable` (the file is there and readable) is a
// correct answer; a crash, a hang, an exception, a negative length, or a
// tag that the database and the protocol could not carry (an empty or
// upper-case name, an empty value, invalid UTF-8) is a bug.  TagLib is not
// built with coverage, so the fuzzer steers by our code only.
#include "server/rescan/track_reader.hpp"
#include "tests/fuzz/scratch_file.hpp"
#include "utf8.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using namespace disorder;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr std::array<std::string_view, 20> kExtensions{
    "",    "mp3", "ogg", "oga", "opus", "flac", "wav", "m4a", "wma", "aiff",
    "ape", "mpc", "wv",  "spx", "tta",  "mod",  "s3m", "it",  "xm",  "mp4"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::ScratchFile scratch("tags");
  static TrackReader reader; // reused from file to file, as the rescan's threads do
  if (size == 0) return 0;
  const std::string path =
      scratch.write(kExtensions[data[0] % kExtensions.size()],
                    std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  TrackData track;
  std::string error;
  const ReadStatus status = reader.read(path.c_str(), track, error);
  require(status != ReadStatus::unreadable);
  if (track.length) require(*track.length >= 0);
  for (const auto& [name, value] : track.tags) {
    require(!name.empty() && !value.empty());
    require(valid_utf8(name) && valid_utf8(value));
    for (char c : name)
      require(c < 'A' || c > 'Z');
  }
  return 0;
}
