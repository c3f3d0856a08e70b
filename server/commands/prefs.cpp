// Track preference commands: get, set, unset and prefs.  A track may be
// named by its alias; preferences are stored under its real name.  Changes
// are published as `pref TRACK PREF [VALUE]` events.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"
#include "split.hpp"
#include "unicode.hpp"

namespace disorder::commands {

namespace {

// The real name of the track args[1] names, if it is a track.
std::optional<std::string> track_of(CommandContext& ctx, std::span<const std::string> args) {
  return resolve_track(ctx, to_nfc(args[1]));
}

// For changes: the track must exist, so that preferences are not left under
// a misspelt name.
std::string existing_track(CommandContext& ctx, std::span<const std::string> args) {
  auto track = track_of(ctx, args);
  if (!track) throw UserError("no such track " + echo(args[1]));
  return *track;
}

} // namespace

void get(CommandContext& ctx, std::span<const std::string> args) {
  auto track = track_of(ctx, args);
  auto value = track ? ctx.server.track_prefs().get(*track, args[2]) : std::nullopt;
  if (!value)
    ctx.conn.reply(555, "not found");
  else
    ctx.conn.reply(252, quote_field(*value));
}

void set(CommandContext& ctx, std::span<const std::string> args) {
  std::string track = existing_track(ctx, args);
  std::string stored;
  try {
    stored = ctx.server.track_prefs().set(track, args[2], args[3]);
  } catch (const SyntaxError& e) {
    throw UserError(e.what());
  }
  // What get now answers (tags are normalised).
  ctx.server.events().emit("pref", {track, args[2], stored});
  ctx.conn.reply(250, "OK");
}

void unset(CommandContext& ctx, std::span<const std::string> args) {
  std::string track = existing_track(ctx, args);
  if (ctx.server.track_prefs().unset(track, args[2]))
    ctx.server.events().emit("pref", {track, args[2]});
  ctx.conn.reply(250, "OK");
}

void prefs(CommandContext& ctx, std::span<const std::string> args) {
  // A name that is no track has no preferences: an empty body, as on
  // DisOrder's server (its Python module would read a 555 as a reply and
  // then wait for a body).
  auto track = track_of(ctx, args);
  std::vector<std::string> lines;
  if (track)
    for (const auto& [name, value] : ctx.server.track_prefs().all(*track))
      lines.push_back(quote_fields({name, value}));
  ctx.conn.reply_body(253, "Track preferences follow", lines);
}

} // namespace disorder::commands
