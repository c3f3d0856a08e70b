// Commands about the connection itself: login, cookies, nop, version, log.
#include "commands/command_table.hpp"
#include "config.h"
#include "connection.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "server.hpp"

#include "split.hpp"
#include <cctype>

namespace disorder::commands {

void user(CommandContext& ctx, std::span<const std::string> args) {
  auto& conn = ctx.conn;
  if (conn.authenticated()) {
    ctx.conn.reply(530, "already authenticated");
    return;
  }
  auto u = ctx.server.users().find(args[1]);
  bool ok = false;
  if (u && u->confirmed) {
    if (conn.transport() == Transport::privileged) {
      // Only root and the server's own user can reach this socket (checked
      // with SO_PEERCRED on accept), so no password is needed.
      ok = true;
    } else {
      std::string expected =
          auth_response(ctx.server.config().authorization_algorithm, u->password, conn.challenge());
      std::string given = args[2];
      for (char& c : given)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ok = secure_equal(expected, given);
    }
  }
  if (!ok) {
    log_info("authentication failure for " + echo(args[1]) + " from " + conn.peer());
    conn.reply(530, "authentication failed");
    return;
  }
  conn.login(u->name, u->rights);
  conn.reply(230, "OK");
}

void cookie(CommandContext& ctx, std::span<const std::string> args) {
  auto& conn = ctx.conn;
  if (conn.authenticated()) {
    conn.reply(530, "already authenticated");
    return;
  }
  auto name = ctx.server.cookies().check(args[1]);
  auto u = name ? ctx.server.users().find(*name) : std::nullopt;
  if (!u || !u->confirmed) {
    log_info("cookie login failed from " + conn.peer());
    conn.reply(530, "authentication failed");
    return;
  }
  conn.login(u->name, u->rights);
  conn.cookie = args[1];
  conn.reply(232, quote_field(u->name));
}

void confirm(CommandContext& ctx, std::span<const std::string> args) {
  // Also on a logged-in connection (a web interface's guest login), which
  // then becomes the new user's, as on DisOrder.
  auto& conn = ctx.conn;
  // USER/CONFIRMATION, as `register` gave it; user names may hold a '/',
  // the confirmation part never does.
  const std::string& given = args[1];
  const auto slash = given.rfind('/');
  if (slash == std::string::npos || slash == 0) {
    conn.reply(550, "Malformed confirmation string");
    return;
  }
  const std::string name = given.substr(0, slash);
  if (!ctx.server.users().confirm(name, std::string_view(given).substr(slash + 1))) {
    log_info("registration confirmation failed for " + echo(name) + " from " + conn.peer());
    conn.reply(510, "Incorrect confirmation string");
    return;
  }
  auto u = ctx.server.users().find(name);
  if (!u) throw UserError("no such user " + echo(name));
  log_info("user " + echo(name) + " confirmed");
  ctx.server.events().emit("user_confirm", {name}, Audience::user_admins);
  conn.login(u->name, u->rights);
  conn.reply(232, quote_field(u->name));
}

void make_cookie(CommandContext& ctx, std::span<const std::string>) {
  const auto& cfg = ctx.server.config();
  std::string c = ctx.server.cookies().make(ctx.conn.user(), cfg.cookie_login_lifetime,
                                            cfg.cookie_key_lifetime);
  ctx.conn.cookie = c;
  ctx.conn.reply(252, quote_field(c));
}

void revoke(CommandContext& ctx, std::span<const std::string>) {
  // 510, as DisOrder's server answers.
  if (!ctx.conn.cookie) {
    ctx.conn.reply(510, "this login has no cookie to revoke");
    return;
  }
  ctx.server.cookies().revoke(*ctx.conn.cookie);
  ctx.conn.cookie.reset();
  ctx.conn.reply(250, "OK");
}

void nop(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply(250, "Quack");
}

void version(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply(251, quote_field(PACKAGE_VERSION));
}

void log(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.start_log(ctx.server.state_lines());
}

} // namespace disorder::commands
