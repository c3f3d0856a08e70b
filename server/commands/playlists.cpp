// Playlist commands: playlist-delete, playlist-get, playlist-get-share,
// playlist-lock, playlist-set, playlist-set-share, playlist-unlock,
// playlists.  Who may do what is in playlists.hpp; a user who may not read
// or change a playlist gets DisOrder's "510 Access denied".
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"

namespace disorder::commands {

namespace {

void access_denied(CommandContext& ctx) {
  ctx.conn.reply(510, "Access denied");
}

void no_such_playlist(CommandContext& ctx) {
  ctx.conn.reply(555, "no such playlist");
}

// Checks the name, then whether this user may change the playlist
// (replying 510 if not).  The name alone decides, so an attempt on another
// user's playlist is refused whether or not it exists.
bool may_change(CommandContext& ctx, const std::string& name) {
  Playlists::check_name(name);
  if (Playlists::may_change(name, ctx.conn.user())) return true;
  access_denied(ctx);
  return false;
}

// The playlist if it exists and this user may read it; otherwise replies
// 555 or 510.
std::optional<Playlists::Playlist> readable(CommandContext& ctx, const std::string& name) {
  Playlists::check_name(name);
  auto p = ctx.server.playlists().find(name);
  if (!p) {
    no_such_playlist(ctx);
  } else if (!Playlists::may_read(name, p->share, ctx.conn.user())) {
    access_denied(ctx);
    p.reset();
  }
  return p;
}

// Sends a playlist event to whoever may read the playlist before or after
// the change: everyone, unless it was and stays private, when only its
// owner hears of it (as DisOrder intends).  before is empty for a new
// playlist; for a deleted one, after is what it was.
void announce(CommandContext& ctx, std::string_view event, const std::string& name,
              const std::string& before, const std::string& after) {
  auto& events = ctx.server.events();
  const bool deleted = event == "playlist_deleted";
  const bool hidden = after == "private" && (before.empty() || before == "private");
  if (hidden) {
    if (deleted)
      events.emit_private(Playlists::owner(name), event, {name});
    else
      events.emit_private(Playlists::owner(name), event, {name, after});
  } else if (deleted) {
    events.emit(event, {name});
  } else {
    events.emit(event, {name, after});
  }
}

} // namespace

void playlist_get(CommandContext& ctx, std::span<const std::string> args) {
  if (const auto p = readable(ctx, args[1]))
    ctx.conn.reply_body(253, "Playlist contents follows", p->tracks);
}

void playlist_get_share(CommandContext& ctx, std::span<const std::string> args) {
  if (const auto p = readable(ctx, args[1])) ctx.conn.reply(252, p->share);
}

void playlists(CommandContext& ctx, std::span<const std::string>) {
  std::vector<std::string> names;
  for (const auto& [name, share] : ctx.server.playlists().all())
    if (Playlists::may_read(name, share, ctx.conn.user())) names.push_back(name);
  ctx.conn.reply_body(253, "List of playlists follows", names);
}

void playlist_lock(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  if (!may_change(ctx, name)) return;
  ctx.server.playlists().lock(name, &ctx.conn, Playlists::Clock::now(),
                              ctx.server.config().playlist_lock_timeout);
  ctx.conn.reply(250, "Acquired lock");
}

void playlist_unlock(CommandContext& ctx, std::span<const std::string>) {
  if (!ctx.server.playlists().unlock(&ctx.conn)) throw UserError("Not holding a lock");
  ctx.conn.reply(250, "Released lock");
}

void playlist_set(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  if (!may_change(ctx, name)) return;
  auto& lists = ctx.server.playlists();
  const Config& config = ctx.server.config();
  if (!lists.holds(name, &ctx.conn, Playlists::Clock::now()))
    throw UserError(
        "playlist " + echo(name) + " is not locked (playlist-lock it first" +
        (config.playlist_lock_timeout.count() > 0
             ? "; a lock lasts " + std::to_string(config.playlist_lock_timeout.count()) + " s)"
             : ")"));
  if (ctx.body.size() > static_cast<size_t>(config.playlist_max))
    throw UserError("playlist too long: " + std::to_string(ctx.body.size()) +
                    " tracks, playlist_max is " + std::to_string(config.playlist_max));
  const auto p = lists.find(name);
  const std::string share = p ? p->share : Playlists::default_share(name);
  lists.store(name, share, std::vector<std::string>(ctx.body.begin(), ctx.body.end()));
  announce(ctx, p ? "playlist_modified" : "playlist_created", name, p ? p->share : "", share);
  ctx.conn.reply(250, "OK");
}

void playlist_set_share(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const std::string& share = args[2];
  if (!may_change(ctx, name)) return;
  auto& lists = ctx.server.playlists();
  const auto p = lists.find(name);
  if (!p) {
    no_such_playlist(ctx);
    return;
  }
  Playlists::check_share(name, share);
  lists.check_not_locked_by_other(name, &ctx.conn, Playlists::Clock::now());
  lists.set_share(name, share);
  announce(ctx, "playlist_modified", name, p->share, share);
  ctx.conn.reply(250, "OK");
}

void playlist_delete(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  if (!may_change(ctx, name)) return;
  auto& lists = ctx.server.playlists();
  const auto p = lists.find(name);
  if (!p) {
    no_such_playlist(ctx);
    return;
  }
  const auto now = Playlists::Clock::now();
  lists.check_not_locked_by_other(name, &ctx.conn, now);
  const bool ours = lists.holds(name, &ctx.conn, now);
  lists.remove(name);
  if (ours) lists.unlock(&ctx.conn);
  announce(ctx, "playlist_deleted", name, p->share, p->share);
  ctx.conn.reply(250, "OK");
}

} // namespace disorder::commands
