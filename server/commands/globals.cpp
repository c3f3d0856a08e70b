// Global preferences and the play/random-play switches.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"
#include "split.hpp"

namespace disorder::commands {

namespace {
void reply_flag(CommandContext& ctx, std::string_view pref) {
  ctx.conn.reply(252, ctx.server.globals().flag(pref) ? "yes" : "no");
}

} // namespace

void check_global_writable(const std::string& key) {
  // disorder_preferences(5): names starting '_' belong to the server.
  if (!key.empty() && key[0] == '_')
    throw UserError("global preference " + echo(key) + " is read-only");
}

void change_global_pref(Server& server, const std::string& key,
                        const std::optional<std::string>& value) {
  // "playing" and "random-play" are switches: unset means on.
  if (key == "playing" || key == "random-play") {
    server.set_flag(key, !value || *value == "yes");
  } else if (value) {
    std::string stored;
    try {
      stored = server.globals().set(key, *value);
    } catch (const SyntaxError& e) {
      throw UserError(e.what());
    }
    // What get-global now answers (tag lists are normalised).
    server.events().emit("global_pref", {key, stored});
  } else {
    server.globals().unset(key);
    server.events().emit("global_pref", {key});
  }
}

void enable(CommandContext& ctx, std::span<const std::string>) {
  ctx.server.set_flag("playing", true);
  ctx.conn.reply(250, "OK");
}

void disable(CommandContext& ctx, std::span<const std::string> args) {
  if (args.size() > 1 && args[1] != "now") throw UserError("invalid argument " + echo(args[1]));
  // Each step is saved before it takes effect, the switch first: should
  // the scratch then fail to save (550), playing is off and the track
  // plays on, rather than the next one starting.
  ctx.server.set_flag("playing", false);
  ctx.server.playback().playing_disabled(args.size() > 1, ctx.conn.user());
  ctx.conn.reply(250, "OK");
}

void enabled(CommandContext& ctx, std::span<const std::string>) {
  reply_flag(ctx, "playing");
}

void random_enable(CommandContext& ctx, std::span<const std::string>) {
  ctx.server.set_flag("random-play", true);
  ctx.conn.reply(250, "OK");
}

void random_disable(CommandContext& ctx, std::span<const std::string>) {
  ctx.server.set_flag("random-play", false);
  ctx.conn.reply(250, "OK");
}

void random_enabled(CommandContext& ctx, std::span<const std::string>) {
  reply_flag(ctx, "random-play");
}

void set_global(CommandContext& ctx, std::span<const std::string> args) {
  check_global_writable(args[1]);
  change_global_pref(ctx.server, args[1], args[2]);
  ctx.conn.reply(250, "OK");
}

void get_global(CommandContext& ctx, std::span<const std::string> args) {
  auto v = ctx.server.globals().get(args[1]);
  if (!v)
    ctx.conn.reply(555, "not found");
  else
    ctx.conn.reply(252, quote_field(*v));
}

void unset_global(CommandContext& ctx, std::span<const std::string> args) {
  check_global_writable(args[1]);
  // As DisOrder's server: unsetting what is not set fails (and announces
  // nothing).  The switches are never "not set": unset means on.
  if (args[1] != "playing" && args[1] != "random-play" && !ctx.server.globals().get(args[1]))
    throw UserError("not found");
  change_global_pref(ctx.server, args[1], std::nullopt);
  ctx.conn.reply(250, "OK");
}

} // namespace disorder::commands
