// Queue and playing commands: play, playafter, remove, move, moveafter,
// scratch, pause, resume, playing, queue, recent, adopt, volume.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"
#include "split.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace disorder::commands {

namespace {

Playback& playback(CommandContext& ctx) {
  return ctx.server.playback();
}

// disorder_config(5): the move/remove/scratch rights come in any/mine/
// random flavours, decided per entry.  The rights any one of which allows
// acting on e.
Rights allowing(const CommandContext& ctx, const QueueEntry& e, Rights any, Rights mine,
                Rights random) {
  Rights r = any;
  if (!e.submitter.empty() && e.submitter == ctx.conn.user()) r |= mine;
  if (e.origin == Origin::random) r |= random;
  return r;
}

// Whether the user may act on e; if not, replies 510 naming the rights
// that would have allowed it.
bool may(const CommandContext& ctx, const QueueEntry& e, Rights any, Rights mine, Rights random) {
  const Rights needed = allowing(ctx, e, any, mine, random);
  if (ctx.conn.rights() & needed) return true;
  ctx.conn.reply(510, prohibited(needed));
  return false;
}

// A queued entry by ID, or else by track name (disorder(1): "tracks may be
// specified by name or by ID").
const QueueEntry* find_queued(CommandContext& ctx, const std::string& what) {
  auto& q = playback(ctx).queue();
  if (q.index_of(what) >= 0) return q.find(what);
  for (const auto& e : q.entries())
    if (e.track == what) return q.find(e.id);
  return nullptr;
}

std::string playable(CommandContext& ctx, const std::string& name) {
  auto resolved = resolve_track(ctx, name);
  if (!resolved) throw UserError("no such track " + echo(name));
  return *resolved;
}

int parse_volume(const std::string& s) {
  int v = -1;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0 || v > 100)
    throw UserError("volume must be an integer from 0 to 100");
  return v;
}

} // namespace

void play(CommandContext& ctx, std::span<const std::string> args) {
  std::string track = playable(ctx, args[1]);
  auto& pb = playback(ctx);
  ctx.conn.reply(252, quote_field(pb.add(pb.queue().before_random_picks(), track, ctx.conn.user(),
                                         Origin::picked)));
}

void playafter(CommandContext& ctx, std::span<const std::string> args) {
  std::vector<std::string> tracks;
  for (size_t i = 2; i < args.size(); ++i)
    tracks.push_back(playable(ctx, args[i]));
  auto& pb = playback(ctx);
  size_t at = 0;
  if (!args[1].empty()) {
    int i = pb.queue().index_of(args[1]);
    if (i < 0) throw UserError("no such queue entry " + echo(args[1]));
    at = static_cast<size_t>(i) + 1;
  }
  pb.add(at, tracks, ctx.conn.user(), Origin::picked); // all or none
  ctx.conn.reply(250, "OK");
}

void remove(CommandContext& ctx, std::span<const std::string> args) {
  const QueueEntry* e = find_queued(ctx, args[1]);
  if (!e) throw UserError("no such queue entry " + echo(args[1]));
  if (!may(ctx, *e, right::remove_any, right::remove_mine, right::remove_random)) return;
  auto removed = playback(ctx).queue().remove(e->id);
  playback(ctx).removed(*removed, ctx.conn.user());
  ctx.conn.reply(250, "removed");
}

void move(CommandContext& ctx, std::span<const std::string> args) {
  const QueueEntry* e = find_queued(ctx, args[1]);
  if (!e) throw UserError("no such queue entry " + echo(args[1]));
  int delta = 0;
  auto r = std::from_chars(args[2].data(), args[2].data() + args[2].size(), delta);
  if (r.ec != std::errc() || r.ptr != args[2].data() + args[2].size())
    throw UserError("invalid move distance " + echo(args[2]));
  if (!may(ctx, *e, right::move_any, right::move_mine, right::move_random)) return;
  auto& q = playback(ctx).queue();
  // A copy: moving rebuilds the queue, and e points into it.
  const std::string id = e->id;
  const int from = q.index_of(id);
  q.move(id, delta);
  playback(ctx).moved(ctx.conn.user());
  // As DisOrder answers: the part of the distance the entry could not go,
  // being stopped by an end of the queue (0 when it went all the way).
  ctx.conn.reply(252, std::to_string(delta - (from - q.index_of(id))));
}

void moveafter(CommandContext& ctx, std::span<const std::string> args) {
  auto& q = playback(ctx).queue();
  if (!args[1].empty() && q.index_of(args[1]) < 0)
    throw UserError("no such queue entry " + echo(args[1]));
  std::vector<std::string> ids(args.begin() + 2, args.end());
  for (const auto& id : ids) {
    const QueueEntry* e = q.index_of(id) >= 0 ? q.find(id) : nullptr;
    if (!e) throw UserError("no such queue entry " + echo(id));
    if (!may(ctx, *e, right::move_any, right::move_mine, right::move_random)) return;
  }
  q.move_after(args[1], ids);
  playback(ctx).moved(ctx.conn.user());
  ctx.conn.reply(250, "moved");
}

void scratch(CommandContext& ctx, std::span<const std::string> args) {
  auto& pb = playback(ctx);
  const auto& playing = pb.queue().playing();
  // As DisOrder's server: nothing to scratch is no failure.  A client that
  // scratches by ID races the end of the track; when it has lost, the track
  // it meant has gone already.
  if (!playing) {
    ctx.conn.reply(250, "nothing is playing");
    return;
  }
  if (args.size() > 1 && args[1] != playing->id) {
    ctx.conn.reply(250, echo(args[1]) + " is not playing");
    return;
  }
  if (!may(ctx, *playing, right::scratch_any, right::scratch_mine, right::scratch_random)) return;
  pb.scratch(ctx.conn.user());
  ctx.conn.reply(250, "scratched");
}

void pause(CommandContext& ctx, std::span<const std::string>) {
  auto& pb = playback(ctx);
  // As DisOrder's server: with nothing to pause, nothing fails.
  if (!pb.queue().playing()) {
    ctx.conn.reply(250, "nothing is playing");
    return;
  }
  ctx.conn.reply(250, pb.pause() ? "paused" : "already paused");
}

void resume(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply(250, playback(ctx).resume() ? "resumed" : "not paused");
}

void playing(CommandContext& ctx, std::span<const std::string>) {
  const auto& p = playback(ctx).queue().playing();
  if (!p)
    ctx.conn.reply(259, "nothing playing");
  else
    ctx.conn.reply(252, p->format());
}

// disorder_protocol(5): each queued entry says when it is expected to
// play: after what is playing has finished and every entry before it has
// played through.  From the first track of unknown length on, nobody
// knows.
void queue(CommandContext& ctx, std::span<const std::string>) {
  // Seconds of a track, or -1 when the rescan could not tell.
  auto length = [&ctx](const std::string& track) -> std::int64_t {
    const auto row = ctx.server.tracks().find(track);
    return row && row->length ? *row->length : -1;
  };
  auto& q = playback(ctx).queue();
  std::int64_t at = wall_seconds(); // -1: not known from here on
  if (const auto& p = q.playing()) {
    const std::int64_t l = length(p->track);
    at = l < 0 ? -1 : at + std::max<std::int64_t>(0, l - p->sofar);
  }
  std::vector<std::string> lines;
  for (QueueEntry e : q.entries()) {
    if (at >= 0) {
      e.expected = at;
      const std::int64_t l = length(e.track);
      at = l < 0 ? -1 : at + l;
    }
    lines.push_back(e.format());
  }
  ctx.conn.reply_body(253, "Queue follows", lines);
}

void recent(CommandContext& ctx, std::span<const std::string>) {
  std::vector<std::string> lines;
  for (const auto& e : playback(ctx).queue().recent())
    lines.push_back(e.format());
  ctx.conn.reply_body(253, "Recently played tracks follow", lines);
}

void adopt(CommandContext& ctx, std::span<const std::string> args) {
  auto& q = playback(ctx).queue();
  const QueueEntry* e = q.index_of(args[1]) >= 0 ? q.find(args[1]) : nullptr;
  if (!e) throw UserError("no such queue entry " + echo(args[1]));
  if (e->origin != Origin::random) throw UserError("only randomly picked tracks can be adopted");
  playback(ctx).adopt(args[1], ctx.conn.user());
  ctx.conn.reply(250, "adopted");
}

void volume(CommandContext& ctx, std::span<const std::string> args) {
  auto& pb = playback(ctx);
  if (args.size() > 1) {
    if (!(ctx.conn.rights() & right::volume)) {
      ctx.conn.reply(510, prohibited(right::volume));
      return;
    }
    int left = parse_volume(args[1]);
    int right = args.size() > 2 ? parse_volume(args[2]) : left;
    pb.set_volume(left, right);
  }
  auto [l, r] = pb.volume();
  ctx.conn.reply(252, std::to_string(l) + " " + std::to_string(r));
}

} // namespace disorder::commands
