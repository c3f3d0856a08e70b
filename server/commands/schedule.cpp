// Scheduled events: schedule-add, schedule-del, schedule-get and
// schedule-list, and what an event does when it falls due.  Events are
// public: anyone with `read` sees them all; each belongs to the user who
// made it, who (or an administrator) may delete it.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"
#include "split.hpp"
#include "unicode.hpp"
#include "wall_clock.hpp"

#include <charconv>
#include <ctime>

namespace disorder::commands {

namespace {

std::int64_t parse_when(const std::string& s) {
  std::int64_t when = -1;
  auto r = std::from_chars(s.data(), s.data() + s.size(), when);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || when < 0)
    throw UserError("invalid time " + echo(s) + " (seconds since the epoch)");
  return when;
}

void check_argument_count(std::span<const std::string> args, size_t min, size_t max) {
  // args: schedule-add WHEN PRIORITY ACTION ...
  const size_t n = args.size() - 4;
  if (n < min || n > max) throw UserError("wrong number of arguments for action " + echo(args[3]));
}

bool may_delete(const CommandContext& ctx, const ScheduledEvent& e) {
  return e.who == ctx.conn.user() || (ctx.conn.rights() & right::admin);
}

} // namespace

void schedule_add(CommandContext& ctx, std::span<const std::string> args) {
  ScheduledEvent e;
  e.when = parse_when(args[1]);
  // disorder_protocol(5): the time must be in the future.  The current
  // second is let through: it is due at once.
  if (e.when < wall_seconds()) throw UserError("time " + echo(args[1]) + " is in the past");
  auto priority = schedule_priority_from_string(args[2]);
  if (!priority) throw UserError("invalid priority " + echo(args[2]) + " (junk or normal)");
  e.priority = *priority;
  e.action = args[3];
  e.who = ctx.conn.user();
  // The right an action needs is checked now, not when it runs
  // (disorder_protocol(5)).
  if (e.action == "play") {
    check_argument_count(args, 1, 1);
    if (!(ctx.conn.rights() & right::play)) {
      ctx.conn.reply(510, prohibited(right::play));
      return;
    }
    auto track = resolve_track(ctx, to_nfc(args[4]));
    if (!track) throw UserError("no such track " + echo(args[4]));
    e.track = *track;
  } else if (e.action == "set-global") {
    check_argument_count(args, 1, 2);
    if (!(ctx.conn.rights() & right::global_prefs)) {
      ctx.conn.reply(510, prohibited(right::global_prefs));
      return;
    }
    check_global_writable(args[4]);
    e.key = args[4];
    if (args.size() > 5) e.value = args[5];
  } else {
    throw UserError("unknown action " + echo(e.action) + " (play or set-global)");
  }
  auto& schedule = ctx.server.schedule();
  if (schedule.count_of(e.who) >= Schedule::kMaxPerUser)
    throw UserError("too many scheduled events (at most " + std::to_string(Schedule::kMaxPerUser) +
                    " per user)");
  ctx.conn.reply(252, quote_field(schedule.add(std::move(e))));
}

void schedule_del(CommandContext& ctx, std::span<const std::string> args) {
  auto& schedule = ctx.server.schedule();
  const ScheduledEvent* e = schedule.find(args[1]);
  if (!e) throw UserError("no such event " + echo(args[1]));
  if (!may_delete(ctx, *e)) {
    // Anyone may delete their own events.
    ctx.conn.reply(510, prohibited(right::admin));
    return;
  }
  schedule.remove(args[1]);
  ctx.conn.reply(250, "deleted");
}

void schedule_get(CommandContext& ctx, std::span<const std::string> args) {
  const ScheduledEvent* e = ctx.server.schedule().find(args[1]);
  if (!e) {
    ctx.conn.reply(555, "no such event " + echo(args[1]));
    return;
  }
  std::vector<std::string> lines;
  for (const auto& [key, value] : e->details())
    lines.push_back(quote_field(key) + " " + quote_field(value));
  ctx.conn.reply_body(253, "Event information follows", lines);
}

void schedule_list(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply_body(253, "Event IDs follow", ctx.server.schedule().ids());
}

void run_scheduled_event(Server& server, const ScheduledEvent& e) {
  // The rights were checked when the event was made; but an event does not
  // outlive its owner's account.
  if (!server.users().find(e.who)) {
    log_info("scheduled event " + e.id + " not run: its owner " + e.who + " no longer exists");
    return;
  }
  if (e.action == "play") {
    auto track = server.tracks().resolve(e.track);
    if (!track) throw Error("no such track " + echo(e.track));
    // As its owner's `play` would: before the random picks.
    auto& pb = server.playback();
    pb.add(pb.queue().before_random_picks(), *track, e.who, Origin::scheduled);
  } else {
    change_global_pref(server, e.key, e.value);
  }
}

} // namespace disorder::commands
