// The command table itself, sorted by name for lookup.
#include "commands/command_table.hpp"

#include "unicode.hpp"

#include <algorithm>
#include <array>

namespace disorder {

namespace {

using namespace commands;
namespace r = right;

constexpr bool kAuth = true, kNoAuth = false;

// Keep sorted by name: find_command() binary-searches it.
constexpr std::array kCommands{
    CommandSpec{"adduser", 2, 3, r::admin, kAuth, adduser, "USERNAME PASSWORD [RIGHTS]"},
    CommandSpec{"adopt", 1, 1, r::play, kAuth, adopt, "ID"},
    CommandSpec{"allfiles", 0, 2, r::read, kAuth, allfiles, "[DIRECTORY [REGEXP]]"},
    CommandSpec{"confirm", 1, 1, r::none, kNoAuth, confirm, "CONFIRMATION"},
    CommandSpec{"cookie", 1, 1, r::none, kNoAuth, cookie, "COOKIE"},
    CommandSpec{"deluser", 1, 1, r::admin, kAuth, deluser, "USERNAME"},
    CommandSpec{"dirs", 0, 2, r::read, kAuth, dirs, "[DIRECTORY [REGEXP]]"},
    CommandSpec{"disable", 0, 1, r::global_prefs, kAuth, disable, "[now]"},
    CommandSpec{"edituser", 3, 3, r::admin | r::userinfo, kAuth, edituser,
                "USERNAME PROPERTY VALUE"},
    CommandSpec{"enable", 0, 0, r::global_prefs, kAuth, enable, ""},
    CommandSpec{"enabled", 0, 0, r::read, kAuth, enabled, ""},
    CommandSpec{"exists", 1, 1, r::read, kAuth, exists, "TRACK"},
    CommandSpec{"files", 1, 2, r::read, kAuth, files, "DIRECTORY [REGEXP]"},
    CommandSpec{"get", 2, 2, r::read, kAuth, get, "TRACK PREF"},
    CommandSpec{"get-global", 1, 1, r::read, kAuth, get_global, "KEY"},
    CommandSpec{"length", 1, 1, r::read, kAuth, length, "TRACK"},
    CommandSpec{"log", 0, 0, r::read, kAuth, log, ""},
    CommandSpec{"make-cookie", 0, 0, r::read, kAuth, make_cookie, ""},
    CommandSpec{"move", 2, 2, r::move, kAuth, move, "TRACK DELTA"},
    CommandSpec{"moveafter", 1, kUnlimited, r::move, kAuth, moveafter, "TARGET ID..."},
    CommandSpec{"new", 0, 1, r::read, kAuth, new_tracks, "[MAX]"},
    CommandSpec{"nop", 0, 0, r::none, kNoAuth, nop, ""},
    CommandSpec{"part", 3, 3, r::read, kAuth, part, "TRACK CONTEXT PART"},
    CommandSpec{"pause", 0, 0, r::pause, kAuth, pause, ""},
    CommandSpec{"play", 1, 1, r::play, kAuth, play, "TRACK"},
    CommandSpec{"playafter", 1, kUnlimited, r::play, kAuth, playafter, "TARGET TRACK..."},
    CommandSpec{"playing", 0, 0, r::read, kAuth, playing, ""},
    CommandSpec{"playlist-delete", 1, 1, r::play, kAuth, playlist_delete, "PLAYLIST"},
    CommandSpec{"playlist-get", 1, 1, r::read, kAuth, playlist_get, "PLAYLIST"},
    CommandSpec{"playlist-get-share", 1, 1, r::read, kAuth, playlist_get_share, "PLAYLIST"},
    CommandSpec{"playlist-lock", 1, 1, r::play, kAuth, playlist_lock, "PLAYLIST"},
    CommandSpec{"playlist-set", 1, 1, r::play, kAuth, playlist_set, "PLAYLIST (and a body)", true},
    CommandSpec{"playlist-set-share", 2, 2, r::play, kAuth, playlist_set_share, "PLAYLIST SHARE"},
    CommandSpec{"playlist-unlock", 0, 0, r::play, kAuth, playlist_unlock, ""},
    CommandSpec{"playlists", 0, 0, r::read, kAuth, playlists, ""},
    CommandSpec{"prefs", 1, 1, r::read, kAuth, prefs, "TRACK"},
    CommandSpec{"queue", 0, 0, r::read, kAuth, queue, ""},
    CommandSpec{"random-disable", 0, 0, r::global_prefs, kAuth, random_disable, ""},
    CommandSpec{"random-enable", 0, 0, r::global_prefs, kAuth, random_enable, ""},
    CommandSpec{"random-enabled", 0, 0, r::read, kAuth, random_enabled, ""},
    CommandSpec{"recent", 0, 0, r::read, kAuth, recent, ""},
    CommandSpec{"reconfigure", 0, 0, r::admin, kAuth, reconfigure, ""},
    CommandSpec{"register", 3, 3, r::register_, kAuth, register_user, "USERNAME PASSWORD EMAIL"},
    CommandSpec{"reminder", 1, 1, r::none, kAuth, reminder, "USERNAME"},
    CommandSpec{"remove", 1, 1, r::remove, kAuth, remove, "ID"},
    CommandSpec{"rescan", 0, 2, r::rescan, kAuth, rescan, "[wait] [fresh]"},
    CommandSpec{"resolve", 1, 1, r::read, kAuth, resolve, "TRACK"},
    CommandSpec{"resume", 0, 0, r::pause, kAuth, resume, ""},
    CommandSpec{"revoke", 0, 0, r::read, kAuth, revoke, ""},
    CommandSpec{"rtp-address", 0, 0, r::none, kNoAuth, rtp_address, ""},
    CommandSpec{"rtp-cancel", 0, 0, r::read, kAuth, rtp_cancel, ""},
    CommandSpec{"rtp-listeners", 0, 0, r::read, kAuth, rtp_listeners, ""},
    CommandSpec{"rtp-request", 2, 5, r::read, kAuth, rtp_request, "ADDRESS PORT [OPTIONS]"},
    CommandSpec{"rtp-sdp", 0, 0, r::none, kNoAuth, rtp_sdp, ""},
    CommandSpec{"schedule-add", 3, kUnlimited, r::read, kAuth, schedule_add,
                "WHEN PRIORITY ACTION ARGS..."},
    CommandSpec{"schedule-del", 1, 1, r::read, kAuth, schedule_del, "EVENT"},
    CommandSpec{"schedule-get", 1, 1, r::read, kAuth, schedule_get, "EVENT"},
    CommandSpec{"schedule-list", 0, 0, r::read, kAuth, schedule_list, ""},
    CommandSpec{"scratch", 0, 1, r::scratch, kAuth, scratch, "[ID]"},
    CommandSpec{"search", 1, 1, r::read, kAuth, search, "TERMS"},
    CommandSpec{"set", 3, 3, r::prefs, kAuth, set, "TRACK PREF VALUE"},
    CommandSpec{"set-global", 2, 2, r::global_prefs, kAuth, set_global, "KEY VALUE"},
    CommandSpec{"shutdown", 0, 0, r::admin, kAuth, shutdown, ""},
    CommandSpec{"stats", 0, 0, r::read, kAuth, stats, ""},
    CommandSpec{"tags", 0, 0, r::read, kAuth, tags, ""},
    CommandSpec{"unset", 2, 2, r::prefs, kAuth, unset, "TRACK PREF"},
    CommandSpec{"unset-global", 1, 1, r::global_prefs, kAuth, unset_global, "KEY"},
    CommandSpec{"user", 2, 2, r::none, kNoAuth, user, "USERNAME RESPONSE"},
    CommandSpec{"userinfo", 2, 2, r::read, kAuth, userinfo, "USERNAME PROPERTY"},
    CommandSpec{"users", 0, 0, r::read, kAuth, users, ""},
    CommandSpec{"version", 0, 0, r::read, kAuth, version, ""},
    CommandSpec{"volume", 0, 2, r::read, kAuth, volume, "[LEFT [RIGHT]]"},
};

constexpr bool sorted() {
  for (size_t i = 1; i < kCommands.size(); ++i)
    if (!(kCommands[i - 1].name < kCommands[i].name)) return false;
  return true;
}
static_assert(sorted(), "kCommands must be sorted by name");

} // namespace

const CommandSpec* find_command(std::string_view name) {
  auto it = std::lower_bound(kCommands.begin(), kCommands.end(), name,
                             [](const CommandSpec& c, std::string_view n) { return c.name < n; });
  return it != kCommands.end() && it->name == name ? &*it : nullptr;
}

std::string prohibited(Rights needed) {
  std::string names = format_rights(needed);
  if (names.empty()) return "Prohibited";
  std::string out = "Prohibited: needs the ";
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = names.find(',', start);
    const bool last = comma == std::string::npos;
    if (start) out += last ? " or " : ", ";
    out += "'" + names.substr(start, last ? std::string::npos : comma - start) + "'";
    if (last) break;
    start = comma + 1;
  }
  return out + " right";
}

std::span<const CommandSpec> all_commands() {
  return kCommands;
}

std::string echo(std::string_view arg) {
  return "'" + printable(arg, 256) + "'";
}

} // namespace disorder
