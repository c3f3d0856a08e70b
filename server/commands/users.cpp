// User management commands: users, adduser, deluser, edituser, userinfo,
// register, and reminder (which mails a user their password).
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "log.hpp"
#include "mail.hpp"
#include "server.hpp"
#include "split.hpp"

namespace disorder::commands {

namespace {
// disorder_config(5) remote_userman: managing users needs a local
// connection unless remote management is enabled.
void require_userman_transport(CommandContext& ctx) {
  if (!ctx.conn.is_local() && !ctx.server.config().remote_userman)
    throw UserError("user management is only allowed on local connections "
                    "(set remote_userman to allow it over TCP)");
}
} // namespace

void users(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply_body(253, "User list follows", ctx.server.users().names());
}

void adduser(CommandContext& ctx, std::span<const std::string> args) {
  require_userman_transport(ctx);
  Rights rights = ctx.server.config().default_rights;
  if (args.size() > 3) {
    try {
      rights = parse_rights(args[3]);
    } catch (const SyntaxError& e) {
      throw UserError(e.what());
    }
  }
  ctx.server.users().add(args[1], args[2], rights);
  log_info("user " + echo(args[1]) + " created by " + ctx.conn.user());
  ctx.server.events().emit("user_add", {args[1]}, Audience::user_admins);
  ctx.conn.reply(250, "User created");
}

void register_user(CommandContext& ctx, std::span<const std::string> args) {
  const std::string confirmation = ctx.server.users().add_unconfirmed(
      args[1], args[2], ctx.server.config().default_rights, args[3]);
  log_info("user " + echo(args[1]) + " registered by " + ctx.conn.user());
  ctx.server.events().emit("user_add", {args[1]}, Audience::user_admins);
  ctx.conn.reply(252, quote_field(args[1] + "/" + confirmation));
}

namespace {
// The part of `reminder` after its reply: logs why nothing is sent, or
// starts the mail.  Throws (a damaged user record) like any handler.
void send_reminder(CommandContext& ctx, const std::string& name) {
  const Config& config = ctx.server.config();
  const std::string who = " (asked by " + ctx.conn.user() + " from " + ctx.conn.peer() + ")";
  auto user = ctx.server.users().find(name);
  std::string why_not;
  if (!user)
    why_not = "no such user";
  else if (!user->confirmed)
    why_not = "the registration is not confirmed";
  else if (user->email.empty())
    why_not = "the user has no email address";
  else if (user->password.empty())
    why_not = "the user has no password";
  if (!why_not.empty()) {
    log_info("no password reminder for " + echo(name) + ": " + why_not + who);
    return;
  }
  if (!ctx.server.reminders().allow(name, ReminderLimiter::Clock::now(),
                                    config.reminder_interval)) {
    log_info("no password reminder for " + echo(name) + ": one was sent less than " +
             std::to_string(config.reminder_interval.count()) + "s ago" + who);
    return;
  }
  send_mail_async(ctx.server.loop(), config,
                  reminder_mail(user->name, user->email, user->password, config.url),
                  [name](std::optional<std::string> error) {
                    if (error)
                      log_error("password reminder for " + echo(name) + " not sent: " + *error);
                    else
                      log_info("password reminder sent to " + echo(name));
                  });
}
} // namespace

// Mails the user their password.  The reply is the same, and comes before
// any work, whether or not a mail goes out (no such user, no email address,
// not confirmed, too soon), so that neither it nor its timing tells who
// exists or has an address; the reasons go to the log.  The mail is sent by
// a child process, and its failure is logged too.
void reminder(CommandContext& ctx, std::span<const std::string> args) {
  if (ctx.server.config().mail_sender.empty()) {
    log_error("cannot send a password reminder: mail_sender is not set");
    ctx.conn.reply(550, "Cannot send a reminder email");
    return;
  }
  ctx.conn.reply(250, "OK");
  // Replied already: a failure can only be logged.
  try {
    send_reminder(ctx, args[1]);
  } catch (const std::exception& e) {
    log_error("password reminder for " + echo(args[1]) + " not sent: " + e.what());
  }
}

void deluser(CommandContext& ctx, std::span<const std::string> args) {
  require_userman_transport(ctx);
  // DisOrder's server answers 250 for a user that does not exist: the user
  // is gone either way.  Nobody was deleted, so no event.
  if (!ctx.server.users().remove(args[1])) {
    ctx.conn.reply(250, "User deleted");
    return;
  }
  log_info("user " + echo(args[1]) + " deleted by " + ctx.conn.user());
  ctx.server.events().emit("user_delete", {args[1]}, Audience::user_admins);
  ctx.server.user_changed(args[1]);
  ctx.conn.reply(250, "User deleted");
  ctx.server.end_cookie_logins(args[1]);
}

void edituser(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const std::string& prop = args[2];
  bool admin = ctx.conn.rights() & right::admin;
  bool self = ctx.conn.user() == name;
  // Without admin, a user may change only their own email and password.
  if (!admin && !(self && (prop == "email" || prop == "password"))) {
    ctx.conn.reply(510, prohibited(right::admin));
    return;
  }
  if (!self) require_userman_transport(ctx);
  ctx.server.users().set_property(name, prop, args[3]);
  ctx.server.events().emit("user_edit", {name, prop}, Audience::user_admins);
  if (prop == "rights") ctx.server.user_changed(name);
  ctx.conn.reply(250, "OK");
  if (prop == "password") ctx.server.end_cookie_logins(name);
}

void userinfo(CommandContext& ctx, std::span<const std::string> args) {
  const std::string& name = args[1];
  const std::string& prop = args[2];
  bool admin = ctx.conn.rights() & right::admin;
  if (!admin && ctx.conn.user() != name) {
    ctx.conn.reply(510, prohibited(right::admin));
    return;
  }
  // Passwords leave the server only through the privileged local socket,
  // which is how local root recovers the root password (disorderd(8)).
  if (prop == "password" && ctx.conn.transport() != Transport::privileged) {
    ctx.conn.reply(510, "Prohibited: passwords are only read through the privileged local socket");
    return;
  }
  // As DisOrder's server: no such user is an error (550), an unset
  // property a harmless one (555).
  if (!ctx.server.users().find(name)) {
    ctx.conn.reply(550, "No such user");
    return;
  }
  auto value = ctx.server.users().property(name, prop);
  if (!value) {
    ctx.conn.reply(555, "Not found");
    return;
  }
  ctx.conn.reply(252, quote_field(*value));
}

} // namespace disorder::commands
