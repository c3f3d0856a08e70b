// Playlist commands: playlist-delete, playlist-get, playlist-get-share,
// playlist-lock, playlist-set, playlist-set-share, playlist-unlock,
// playlists.  Who may do what is in playlists.hpp.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"

namespace disorder::commands {

namespace {

bool is_admin(const CommandContext& ctx) {
  return (ctx.conn.rights() & right::admin) != 0;
}

// The playlist, if this connection may read it; otherwise the same reply
// as for none at all, so that private names do not show.
std::optional<Playlists::Playlist> readable(CommandContext& ctx, const std::string& name) {
  Playlists::check_name(name);
  auto p = ctx.server.playlists().find(name);
  if (p && !Playlists::may_read(name, p->share, ctx.conn.user(), is_admin(ctx))) p.reset();
  return p;
}

// Throws unless this connection may change (or create) the playlist.
std::optional<Playlists::Playlist> changeable(CommandContext& ctx, const std::string& name) {
  Playlists::check_name(name);
  auto p = ctx.server.playlists().find(name);
  const std::optional<std::string> share = p ? std::optional(p->share) : std::nullopt;
  if (!Playlists::may_change(name, share, ctx.conn.user(), is_admin(ctx)))
    throw UserError("you may not change playlist " + echo(name));
  return p;
}

void announce(CommandContext& ctx, std::string_view event, const std::string& name,
              const std::string& share) {
  auto& events = ctx.server.events();
  const std::string owner = Playlists::owner(name);
  if (event == "playlist_deleted") {
    if (share == "private")
      events.emit_private(owner, event, {name});
    else
      events.emit(event, {name});
  } else if (share == "private") {
    events.emit_private(owner, event, {name, share});
  } else {
    events.emit(event, {name, share});
  }
}

} // namespace

void playlist_get(CommandContext& ctx, std::span<const std::string> args) {
  const auto p = readable(ctx, args[1]);
  if (!p) {
    ctx.conn.reply(555, "no such playlist");
    return;
  }
  ctx.conn.reply_body(253, "Playlist contents follows", p->tracks);
}

void playlist_get_share(CommandContext& ctx, std::span<const std::string> args) {
  const auto p = readable(ctx, args[1]);
  if (!p) {
    ctx.conn.reply(555, "no such playlist");
    return;
  }
  ctx.conn.reply(252, p->share);
}

void playlists(CommandContext& ctx, std::span<const std::string>) {
  std::vector<std::string> names;
  for (const auto& [name, share] : ctx.server.playlists().all())
    if (Playlists::may_read(name, share, ctx.conn.user(), is_admin(ctx))) names.push_back(name);
  ctx.conn.reply_body(253, "List of playlists follows", names);
}

void playlist_lock(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  changeable(ctx, name);
  auto& lists = ctx.server.playlists();
  lists.check_not_locked_by_other(name, &ctx.conn);
  lists.lock(name, &ctx.conn);
  ctx.conn.reply(250, "acquired lock");
}

void playlist_unlock(CommandContext& ctx, std::span<const std::string>) {
  auto& lists = ctx.server.playlists();
  if (lists.locked_by(&ctx.conn).empty()) throw UserError("no playlist is locked");
  lists.unlock(&ctx.conn);
  ctx.conn.reply(250, "released lock");
}

void playlist_set(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const auto p = changeable(ctx, name);
  auto& lists = ctx.server.playlists();
  if (lists.locked_by(&ctx.conn) != name)
    throw UserError("playlist " + echo(name) + " is not locked (playlist-lock it first)");
  const std::string share = p ? p->share : Playlists::default_share(name);
  lists.store(name, share, std::vector<std::string>(ctx.body.begin(), ctx.body.end()));
  announce(ctx, p ? "playlist_modified" : "playlist_created", name, share);
  ctx.conn.reply(250, "OK");
}

void playlist_set_share(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const std::string& share = args[2];
  const auto p = changeable(ctx, name);
  if (!p) {
    ctx.conn.reply(555, "no such playlist");
    return;
  }
  Playlists::check_share(name, share);
  ctx.server.playlists().check_not_locked_by_other(name, &ctx.conn);
  ctx.server.playlists().set_share(name, share);
  announce(ctx, "playlist_modified", name, share);
  ctx.conn.reply(250, "OK");
}

void playlist_delete(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const auto p = changeable(ctx, name);
  if (!p || !Playlists::may_read(name, p->share, ctx.conn.user(), is_admin(ctx))) {
    ctx.conn.reply(555, "no such playlist");
    return;
  }
  auto& lists = ctx.server.playlists();
  lists.check_not_locked_by_other(name, &ctx.conn);
  const bool ours = lists.lock_holder(name) == &ctx.conn;
  lists.remove(name);
  if (ours) lists.unlock(&ctx.conn);
  announce(ctx, "playlist_deleted", name, p->share);
  ctx.conn.reply(250, "OK");
}

} // namespace disorder::commands
