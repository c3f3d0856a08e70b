// playlist-set: read a track list from a file or standard input and store
// it as a playlist, under the playlist lock the protocol requires.
#include "cli.hpp"

#include <cerrno>
#include <fstream>

namespace disorder::cli {

namespace {

// Lines up to the end of input or a line holding a single ".", the
// convention of disorder(1) (so a list can be typed at a terminal).
std::vector<std::string> read_track_list(std::istream& in) {
  std::vector<std::string> tracks;
  std::string line;
  while (std::getline(in, line) && line != ".")
    tracks.push_back(line);
  return tracks;
}

} // namespace

void playlist_set(Context& context, Args args) {
  std::vector<std::string> tracks;
  if (args.size() > 1) {
    std::ifstream file(args[1]);
    if (!file) throw_errno("cannot open " + args[1]);
    tracks = read_track_list(file);
    if (file.bad()) throw Error("cannot read " + args[1]);
  } else {
    tracks = read_track_list(context.in());
    if (context.in().bad()) throw Error("cannot read standard input");
  }
  Client& client = context.client();
  client.command({"playlist-lock", args[0]});
  client.command({"playlist-set", args[0]}, tracks);
  client.command({"playlist-unlock"});
}

} // namespace disorder::cli
