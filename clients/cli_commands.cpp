// The table of disorder(1) commands.  Adding a command is adding one entry:
// its name, how many arguments it takes, its help, and a handler that
// usually sends one protocol command and prints the reply.
#include "cli.hpp"

#include "split.hpp"

#include <array>

namespace disorder::cli {

namespace {

bool is_regexp_argument(std::string_view word) {
  return word.starts_with('~');
}

bool is_absolute_path(std::string_view word) {
  return word.starts_with('/');
}

bool is_no_registration_flag(std::string_view word) {
  return word == "--no-online-registration";
}

bool is_count(std::string_view word) {
  return !word.empty() && word.find_first_not_of("0123456789") == std::string_view::npos;
}

// files, dirs and allfiles: the optional regexp is marked with a leading '~' on the
// command line, which the protocol does not have.
std::vector<std::string> listing(std::string_view name, Args a) {
  std::vector<std::string> f{std::string(name), a[0]};
  if (a.size() > 1) f.push_back(a[1].substr(1));
  return f;
}

// The fields of a reply on one line, separated by spaces (volume,
// rtp-address).
void print_fields(Context& c, const std::vector<std::string>& command) {
  Reply reply = c.run(command);
  std::vector<std::string> f;
  try {
    f = reply.fields();
  } catch (const SyntaxError& e) {
    throw ProtocolError(std::string("malformed reply from server: ") + e.what());
  }
  for (std::size_t i = 0; i < f.size(); ++i)
    c.out() << (i ? " " : "") << f[i];
  c.out() << '\n';
}

// prefs: one preference a line, its name and its value separated by a space.
void print_prefs(Context& c, Args a) {
  for (const auto& line : c.run(fields("prefs", a)).body) {
    std::vector<std::string> f;
    try {
      f = split_fields(line);
    } catch (const SyntaxError& e) {
      throw ProtocolError(std::string("malformed reply from server: ") + e.what());
    }
    if (f.size() != 2) throw ProtocolError("malformed preference from server: " + line);
    c.out() << f[0] << ' ' << f[1] << '\n';
  }
}

// Sorted by name; --help-commands shows them in this order.
const std::array table{
    Command{"adduser", 2, 3, "USERNAME PASSWORD [RIGHTS]",
            "Create a user, with the server's default_rights unless RIGHTS are given",
            [](Context& c, Args a) { c.run(fields("adduser", a)); }},
    Command{"adopt", 1, 1, "ID", "Adopt the randomly picked track ID in the queue",
            [](Context& c, Args a) { c.run(fields("adopt", a)); }},
    Command{"allfiles", 1, 2, "DIRECTORY [~REGEXP]",
            "List the files and directories in DIRECTORY, or those whose name matches REGEXP",
            [](Context& c, Args a) { c.print_body(listing("allfiles", a)); }, is_regexp_argument},
    Command{"authorize", 1, 2, "USERNAME [RIGHTS]",
            "Create a user for a UNIX login with a random password, written to its "
            "~/.disorder/passwd",
            authorize},
    Command{"deluser", 1, 1, "USERNAME", "Delete a user",
            [](Context& c, Args a) { c.run(fields("deluser", a)); }},
    Command{"dirs", 1, 2, "DIRECTORY [~REGEXP]",
            "List the directories in DIRECTORY, or those whose name matches REGEXP",
            [](Context& c, Args a) { c.print_body(listing("dirs", a)); }, is_regexp_argument},
    Command{"disable", 0, 0, "", "Stop playing after the current track",
            [](Context& c, Args) { c.run({"disable"}); }},
    Command{"edituser", 3, 3, "USERNAME PROPERTY VALUE", "Set a property of a user",
            [](Context& c, Args a) { c.run(fields("edituser", a)); }},
    Command{"enable", 0, 0, "", "(Re-)enable playing", [](Context& c, Args) { c.run({"enable"}); }},
    Command{"enabled", 0, 0, "", "Report whether playing is enabled (yes or no)",
            [](Context& c, Args) { c.print_value({"enabled"}); }},
    Command{"exists", 1, 1, "TRACK", "Report whether TRACK exists (yes or no)",
            [](Context& c, Args a) { c.print_value(fields("exists", a)); }},
    Command{"files", 1, 2, "DIRECTORY [~REGEXP]",
            "List the files in DIRECTORY, or those whose name matches REGEXP",
            [](Context& c, Args a) { c.print_body(listing("files", a)); }, is_regexp_argument},
    Command{"get", 2, 2, "TRACK KEY", "Display the preference KEY of TRACK",
            [](Context& c, Args a) { c.print_value(fields("get", a)); }},
    Command{"get-global", 1, 1, "KEY", "Display a global preference",
            [](Context& c, Args a) { c.print_value(fields("get-global", a)); }},
    Command{"get-volume", 0, 0, "", "Display the volume (left and right)",
            [](Context& c, Args) { print_fields(c, {"volume"}); }},
    Command{"length", 1, 1, "TRACK", "Display the length of TRACK in seconds",
            [](Context& c, Args a) { c.print_value(fields("length", a)); }},
    Command{"log", 0, 0, "", "Write the server's event log to standard output until it stops",
            [](Context& c, Args) {
              c.client().follow_log([&c](std::string_view line) {
                c.out() << line << '\n';
                c.out().flush();
                return static_cast<bool>(c.out());
              });
            }},
    Command{"make-cookie", 0, 0, "", "Display a cookie that logs this user in",
            [](Context& c, Args) { c.print_value({"make-cookie"}); }},
    Command{"move", 2, 2, "TRACK DELTA",
            "Move TRACK by DELTA places in the queue (positive is towards the head)",
            [](Context& c, Args a) { c.run(fields("move", a)); }},
    Command{"new", 0, 1, "[MAX]",
            "List the tracks added most recently, newest first (at most MAX of them)",
            [](Context& c, Args a) { c.print_body(fields("new", a)); }, is_count},
    Command{"nop", 0, 0, "", "Do nothing (checks that the server answers)",
            [](Context& c, Args) { c.run({"nop"}); }},
    Command{"part", 3, 3, "TRACK CONTEXT PART",
            "Display a name part (artist, album, title) of TRACK for CONTEXT (sort or display)",
            [](Context& c, Args a) { c.print_value(fields("part", a)); }},
    Command{"pause", 0, 0, "", "Pause the current track",
            [](Context& c, Args) { c.run({"pause"}); }},
    Command{"play", 1, unlimited, "TRACK...", "Add the TRACKs to the end of the queue",
            [](Context& c, Args a) {
              for (const auto& track : a)
                c.run({"play", track});
            }},
    Command{"playlist-del", 1, 1, "PLAYLIST", "Delete a playlist",
            [](Context& c, Args a) { c.run(fields("playlist-delete", a)); }},
    Command{"playlist-get", 1, 1, "PLAYLIST", "List the tracks of a playlist",
            [](Context& c, Args a) { c.print_body(fields("playlist-get", a)); }},
    Command{"playlist-set", 1, 2, "PLAYLIST [PATH]",
            "Set the tracks of a playlist from the file PATH (absolute) or standard input",
            playlist_set, is_absolute_path},
    Command{"playlists", 0, 0, "", "List the playlists",
            [](Context& c, Args) { c.print_body({"playlists"}); }},
    Command{"prefs", 1, 1, "TRACK", "Display every preference of TRACK, one NAME VALUE a line",
            print_prefs},
    Command{"random-disable", 0, 0, "", "Disable random play",
            [](Context& c, Args) { c.run({"random-disable"}); }},
    Command{"random-enable", 0, 0, "", "Enable random play",
            [](Context& c, Args) { c.run({"random-enable"}); }},
    Command{"random-enabled", 0, 0, "", "Report whether random play is enabled (yes or no)",
            [](Context& c, Args) { c.print_value({"random-enabled"}); }},
    Command{"reconfigure", 0, 0, "", "Make the server re-read its configuration",
            [](Context& c, Args) { c.run({"reconfigure"}); }},
    Command{"remove", 1, 1, "TRACK", "Remove TRACK (an ID or a name) from the queue",
            [](Context& c, Args a) { c.run(fields("remove", a)); }},
    Command{"rescan", 0, 0, "", "Rescan the collection for new and removed tracks",
            [](Context& c, Args) { c.run({"rescan"}); }},
    Command{"resolve", 1, 1, "TRACK", "Display the real name of TRACK, which may be an alias",
            [](Context& c, Args a) { c.print_value(fields("resolve", a)); }},
    Command{"resume", 0, 0, "", "Resume the current track after a pause",
            [](Context& c, Args) { c.run({"resume"}); }},
    Command{"revoke", 0, 0, "", "Revoke the cookie of this login",
            [](Context& c, Args) { c.run({"revoke"}); }},
    Command{"rtp-address", 0, 0, "", "Display the RTP address and port of the server",
            [](Context& c, Args) { print_fields(c, {"rtp-address"}); }},
    Command{"scratch", 0, 0, "", "Scratch the playing track",
            [](Context& c, Args) { c.run({"scratch"}); }},
    Command{"scratch-id", 1, 1, "ID", "Scratch the playing track if its ID is ID",
            [](Context& c, Args a) { c.run(fields("scratch", a)); }},
    Command{"search", 1, 1, "TERMS",
            "List the tracks matching all the TERMS (one argument; 'tag:TAG' matches a tag)",
            [](Context& c, Args a) { c.print_body(fields("search", a)); }},
    Command{"set", 3, 3, "TRACK KEY VALUE", "Set the preference KEY of TRACK to VALUE",
            [](Context& c, Args a) { c.run(fields("set", a)); }},
    Command{"set-global", 2, 2, "KEY VALUE", "Set a global preference",
            [](Context& c, Args a) { c.run(fields("set-global", a)); }},
    Command{"set-volume", 2, 2, "LEFT RIGHT", "Set the volume",
            [](Context& c, Args a) { c.run(fields("volume", a)); }},
    Command{"setup-guest", 0, 1, "[--no-online-registration]",
            "Create the password-less user 'guest' for the web interface, with the rights "
            "read and (unless told not to) register",
            [](Context& c, Args a) {
              c.run({"adduser", "guest", "", a.empty() ? "read,register" : "read"});
            },
            is_no_registration_flag},
    Command{"shutdown", 0, 0, "", "Shut the server down",
            [](Context& c, Args) { c.client().shutdown(); }},
    Command{"stats", 0, 0, "", "Display server statistics",
            [](Context& c, Args) { c.print_body({"stats"}); }},
    Command{"tags", 0, 0, "", "List the known tags",
            [](Context& c, Args) { c.print_body({"tags"}); }},
    Command{"unset", 2, 2, "TRACK KEY", "Remove the preference KEY of TRACK",
            [](Context& c, Args a) { c.run(fields("unset", a)); }},
    Command{"unset-global", 1, 1, "KEY", "Remove a global preference",
            [](Context& c, Args a) { c.run(fields("unset-global", a)); }},
    Command{"userinfo", 2, 2, "USERNAME PROPERTY", "Display a property of a user",
            [](Context& c, Args a) { c.print_value(fields("userinfo", a)); }},
    Command{"users", 0, 0, "", "List the users", [](Context& c, Args) { c.print_body({"users"}); }},
    Command{"version", 0, 0, "", "Display the server's version",
            [](Context& c, Args) { c.print_value({"version"}); }},
};

} // namespace

std::span<const Command> commands() {
  return table;
}

const Command* find_command(std::string_view name) {
  for (const auto& c : table)
    if (c.name == name) return &c;
  return nullptr;
}

} // namespace disorder::cli
