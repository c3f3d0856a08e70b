// Queue operations over many tracks at once: play-dir (a directory of the
// collection, recursively), play-playlist, and queue-clear (one's own
// entries, or with --all every entry).
#include "cli.hpp"
#include "cli_display.hpp"

#include "rights.hpp"
#include "split.hpp"

#include <algorithm>
#include <array>

namespace disorder::cli {

namespace {

// The tracks under `dir` in the collection's order: each directory's
// entries sorted by name, a subdirectory's tracks in its place among them.
void collect(Client& client, const std::string& dir, std::vector<std::string>& tracks, int depth) {
  // Symbolic links can make a directory its own ancestor.
  if (depth > 64) throw Error("directories nested too deeply under " + dir);
  std::vector<std::pair<std::string, bool>> names; // name, is a directory
  for (auto& f : client.command({"files", dir}).body)
    names.emplace_back(std::move(f), false);
  for (auto& d : client.command({"dirs", dir}).body)
    names.emplace_back(std::move(d), true);
  std::sort(names.begin(), names.end());
  for (auto& [name, is_dir] : names) {
    if (is_dir)
      collect(client, name, tracks, depth + 1);
    else
      tracks.push_back(std::move(name));
  }
}

// Queues the tracks in order, each before the random picks as play does.
void queue_all(Context& c, const std::vector<std::string>& tracks) {
  for (const auto& track : tracks)
    c.run({"play", track});
}

void play_dir(Context& c, Args a) {
  for (const auto& dir : a) {
    std::vector<std::string> tracks;
    collect(c.client(), dir, tracks, 0);
    if (tracks.empty()) throw Error("no tracks under " + dir);
    queue_all(c, tracks);
  }
}

void play_playlist(Context& c, Args a) {
  std::vector<std::string> tracks = c.run({"playlist-get", a[0]}).body;
  if (tracks.empty()) throw Error("playlist " + a[0] + " is empty");
  queue_all(c, tracks);
}

bool is_all_flag(std::string_view word) {
  return word == "--all";
}

// The user's rights, or nullopt when the server will not tell.
std::optional<Rights> own_rights(Context& c) {
  try {
    return parse_rights(c.run({"userinfo", c.client().user(), "rights"}).value());
  } catch (const CommandError&) {
    return std::nullopt;
  } catch (const SyntaxError&) {
    return std::nullopt;
  }
}

// queue-clear [--all]: the user's own entries (the right "remove mine"),
// or every entry (--all, the right "remove any").  The rights are checked
// first, so that a refusal removes nothing rather than part of the queue.
void queue_clear(Context& c, Args a) {
  const bool all = !a.empty();
  std::optional<Rights> rights = own_rights(c);
  if (rights) {
    if (all && !(*rights & right::remove_any))
      throw Error("queue-clear --all needs the 'remove any' right");
    if (!all && !(*rights & (right::remove_mine | right::remove_any)))
      throw Error("queue-clear needs the 'remove mine' right");
  }
  const std::string& me = c.client().user();
  for (const auto& e : parse_entries(c.run({"queue"}).body))
    if (all || e.get("submitter") == me) c.run({"remove", e.get("id")});
}

const std::array table{
    Command{"play-dir", 1, unlimited, "DIRECTORY...",
            "Add every track under each DIRECTORY (recursively, in the collection's order) to "
            "the queue",
            play_dir},
    Command{"play-playlist", 1, 1, "PLAYLIST", "Add the tracks of PLAYLIST, in order, to the queue",
            play_playlist},
    Command{"queue-clear", 0, 1, "[--all]",
            "Remove one's own entries from the queue (--all: every entry, with the right "
            "'remove any')",
            queue_clear, is_all_flag},
};

} // namespace

std::span<const Command> queue_ops_commands() {
  return table;
}

} // namespace disorder::cli
