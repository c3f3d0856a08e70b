// disorder-decode: decodes one audio file (MP3, Ogg Vorbis, Opus, FLAC or
// WAV) to the raw stream on standard output.  disorderd runs one per track
// as an `execraw` player; the speaker reads the other end of the pipe.
// Exit status 0 when the whole track was written (or the reader closed the
// pipe: the track was scratched), 1 when the file could not be decoded,
// after the frames before the damage have been written.
#include "config.h"
#include "decode_error.hpp"
#include "decoder.hpp"
#include "raw_output.hpp"

#include <csignal>
#include <cstdio>
#include <getopt.h>
#include <string>

using namespace disorder;

namespace {

void usage(std::FILE* f) {
  std::fprintf(f, "Usage: disorder-decode [OPTIONS] PATH\n"
                  "Decode an MP3, Ogg Vorbis, Opus, FLAC or WAV file to disorder's raw audio\n"
                  "stream on standard output (for `player PATTERN execraw disorder-decode`).\n"
                  "Options:\n"
                  "  --help, -h                this message\n"
                  "  --version, -V             print the version\n");
}

} // namespace

int main(int argc, char** argv) {
  static const option long_options[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "hV", long_options, nullptr)) != -1) {
    switch (c) {
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      std::printf("disorder-decode version %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (argc - optind != 1) {
    usage(stderr);
    return 2;
  }
  const std::string path = argv[optind];
  // A reader that goes away is a scratched track: see OutputClosed.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    auto decoder = open_decoder(path);
    RawOutput output(1);
    std::uint64_t frames = 0;
    while (auto block = decoder->next()) {
      output.write(*block);
      frames += block->frames();
    }
    if (frames == 0) throw DecodeError("file holds no audio");
    return 0;
  } catch (const OutputClosed&) {
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "disorder-decode: %s: %s\n", path.c_str(), e.what());
    return 1;
  }
}
