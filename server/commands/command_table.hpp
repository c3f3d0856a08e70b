// The one table of protocol commands: name, argument counts, the right
// needed, and the handler.  Dispatch (connection.cpp) checks authentication,
// argument counts and rights from this table before a handler runs, so a
// handler only checks what depends on its arguments (whose track, whose
// user).
#pragma once

#include "rights.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace disorder {

class Server;
class Connection;
struct ScheduledEvent;

struct CommandContext {
  Server& server;
  Connection& conn;
  // The lines the client sent after the command (commands with
  // takes_body), dot-stuffing removed.
  std::span<const std::string> body = {};
};

// args[0] is the command name.  Handlers reply through ctx.conn; they may
// throw UserError (550 with its message) or other Errors.
using CommandHandler = void (*)(CommandContext& ctx, std::span<const std::string> args);

inline constexpr int kUnlimited = -1;

struct CommandSpec {
  std::string_view name;
  int min_args; // not counting the name
  int max_args; // kUnlimited for no limit
  // The connection must be authenticated and hold at least one of these
  // rights.  right::none with needs_auth == false: anyone may run it.
  Rights rights;
  bool needs_auth;
  CommandHandler handler;
  std::string_view help; // one line: arguments, for --help-commands
  // The command line is followed by a dot-stuffed body ending in a line
  // ".", which is read before any check, so that a refusal keeps the
  // connection in step.
  bool takes_body = false;
};

const CommandSpec* find_command(std::string_view name);

// A client's argument as a reply or a log line shows it: between
// apostrophes, made printable (it cannot end the line and start a forged
// one) and cut to a few hundred bytes.
std::string echo(std::string_view arg);

// The text of a 510 reply: DisOrder's "Prohibited", which its clients
// show, then what would have allowed the command ("Prohibited: needs the
// 'admin' right", "...needs the 'move any' or 'move mine' right"), since
// disorder_protocol(5) makes the text of a 510 commentary.
std::string prohibited(Rights needed);

std::span<const CommandSpec> all_commands();

// Handlers, one group per file in server/commands/.
namespace commands {
// The real name of the track a client names (NFC already): the name itself
// or the alias it is, else, for a name relative to a collection root
// ("Artist/Album/track.mp3"), that name under the one root that has it.
// nullopt if there is no such track; UserError listing the candidates if
// several roots have it (collection.cpp).
std::optional<std::string> resolve_track(CommandContext& ctx, const std::string& name);

// session.cpp
void user(CommandContext&, std::span<const std::string>);
void cookie(CommandContext&, std::span<const std::string>);
void confirm(CommandContext&, std::span<const std::string>);
void make_cookie(CommandContext&, std::span<const std::string>);
void revoke(CommandContext&, std::span<const std::string>);
void nop(CommandContext&, std::span<const std::string>);
void version(CommandContext&, std::span<const std::string>);
void log(CommandContext&, std::span<const std::string>);
// users.cpp
void users(CommandContext&, std::span<const std::string>);
void adduser(CommandContext&, std::span<const std::string>);
void deluser(CommandContext&, std::span<const std::string>);
void register_user(CommandContext&, std::span<const std::string>);
void reminder(CommandContext&, std::span<const std::string>);
void edituser(CommandContext&, std::span<const std::string>);
void userinfo(CommandContext&, std::span<const std::string>);
// globals.cpp
void enable(CommandContext&, std::span<const std::string>);
void disable(CommandContext&, std::span<const std::string>);
void enabled(CommandContext&, std::span<const std::string>);
void random_enable(CommandContext&, std::span<const std::string>);
void random_disable(CommandContext&, std::span<const std::string>);
void random_enabled(CommandContext&, std::span<const std::string>);
void set_global(CommandContext&, std::span<const std::string>);
void get_global(CommandContext&, std::span<const std::string>);
void unset_global(CommandContext&, std::span<const std::string>);
// Throws UserError for a preference clients may not change.
void check_global_writable(const std::string& key);
// Sets key to value (unsets it for nullopt) and emits the event, as
// set-global and unset-global do.
void change_global_pref(Server& server, const std::string& key,
                        const std::optional<std::string>& value);
// rescan.cpp
void rescan(CommandContext&, std::span<const std::string>);
// playlists.cpp
void playlist_delete(CommandContext&, std::span<const std::string>);
void playlist_get(CommandContext&, std::span<const std::string>);
void playlist_get_share(CommandContext&, std::span<const std::string>);
void playlist_lock(CommandContext&, std::span<const std::string>);
void playlist_set(CommandContext&, std::span<const std::string>);
void playlist_set_share(CommandContext&, std::span<const std::string>);
void playlist_unlock(CommandContext&, std::span<const std::string>);
void playlists(CommandContext&, std::span<const std::string>);
// collection.cpp
void exists(CommandContext&, std::span<const std::string>);
void length(CommandContext&, std::span<const std::string>);
void part(CommandContext&, std::span<const std::string>);
void resolve(CommandContext&, std::span<const std::string>);
void files(CommandContext&, std::span<const std::string>);
void dirs(CommandContext&, std::span<const std::string>);
void allfiles(CommandContext&, std::span<const std::string>);
void new_tracks(CommandContext&, std::span<const std::string>); // `new`
void stats(CommandContext&, std::span<const std::string>);
void tags(CommandContext&, std::span<const std::string>);
void search(CommandContext&, std::span<const std::string>);
// prefs.cpp
void get(CommandContext&, std::span<const std::string>);
void set(CommandContext&, std::span<const std::string>);
void unset(CommandContext&, std::span<const std::string>);
void prefs(CommandContext&, std::span<const std::string>);
// queue.cpp
void play(CommandContext&, std::span<const std::string>);
void playafter(CommandContext&, std::span<const std::string>);
void remove(CommandContext&, std::span<const std::string>);
void move(CommandContext&, std::span<const std::string>);
void moveafter(CommandContext&, std::span<const std::string>);
void scratch(CommandContext&, std::span<const std::string>);
void pause(CommandContext&, std::span<const std::string>);
void resume(CommandContext&, std::span<const std::string>);
void playing(CommandContext&, std::span<const std::string>);
void queue(CommandContext&, std::span<const std::string>);
void recent(CommandContext&, std::span<const std::string>);
void adopt(CommandContext&, std::span<const std::string>);
void volume(CommandContext&, std::span<const std::string>);
// rtp.cpp
void rtp_address(CommandContext&, std::span<const std::string>);
void rtp_sdp(CommandContext&, std::span<const std::string>);
void rtp_request(CommandContext&, std::span<const std::string>);
void rtp_cancel(CommandContext&, std::span<const std::string>);
void rtp_listeners(CommandContext&, std::span<const std::string>);
// admin.cpp
void reconfigure(CommandContext&, std::span<const std::string>);
void shutdown(CommandContext&, std::span<const std::string>);
// schedule.cpp
void schedule_add(CommandContext&, std::span<const std::string>);
void schedule_del(CommandContext&, std::span<const std::string>);
void schedule_get(CommandContext&, std::span<const std::string>);
void schedule_list(CommandContext&, std::span<const std::string>);
// What a scheduled event does when it falls due (Schedule's runner).
// Throws when it cannot be done.
void run_scheduled_event(Server& server, const ScheduledEvent& e);
} // namespace commands

} // namespace disorder
