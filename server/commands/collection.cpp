// Commands over the collection: exists, length, part, resolve, files, dirs,
// allfiles, new, stats, tags and search.  All need only the read right.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "names/regexp.hpp"
#include "server.hpp"
#include "split.hpp"
#include "unicode.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>

namespace disorder::commands {

namespace {

// Names from clients are compared with stored names, which are NFC: a
// client on a system that spells names decomposed still finds its tracks.
std::string client_name(const std::string& name) {
  return to_nfc(name);
}

// How long the regexp matches of one files, dirs or allfiles command may
// take in all (disorder_protocol(5) LISTINGS): the loop serves no other
// client meanwhile.  Ordinary patterns take a few milliseconds over the
// largest directories.
constexpr auto kListingRegexpBudget = std::chrono::milliseconds(200);

// The listing filter of files, dirs and allfiles: a PCRE2 regexp matched
// case-independently against each basename.
std::optional<Regexp> listing_filter(std::span<const std::string> args) {
  if (args.size() < 3) return std::nullopt;
  try {
    return Regexp(args[2], true);
  } catch (const RegexpError& e) {
    throw UserError(e.what());
  }
}

// name under root, for a name relative to the collection roots.
std::string under_root(const std::string& root, const std::string& name) {
  return root + "/" + name;
}

// "'a', 'b' and 'c'", for the candidates of an ambiguous name.
std::string echo_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + echo(names[i]);
  return out;
}

bool is_relative(const std::string& name) {
  return !name.empty() && name.front() != '/';
}

// The directory a listing is of: an absolute name as it is; a name
// relative to the collection roots under the one root that has it (one
// that has no such directory leaves the name as given, which lists
// nothing, as any unknown directory does).
std::string listing_directory(CommandContext& ctx, const std::string& dir) {
  if (!is_relative(dir)) return dir;
  auto& tracks = ctx.server.tracks();
  std::vector<std::string> found;
  for (const auto& c : ctx.server.config().collection) {
    std::string full = under_root(c.root, dir);
    if (!tracks.files(full, nullptr).empty() || !tracks.dirs(full, nullptr).empty())
      found.push_back(std::move(full));
  }
  if (found.size() > 1)
    throw UserError("ambiguous directory " + echo(dir) +
                    ": it is in several collections: " + echo_list(found));
  return found.empty() ? dir : found.front();
}

void reply_listing(CommandContext& ctx, bool want_files, bool want_dirs,
                   std::span<const std::string> args) {
  auto& tracks = ctx.server.tracks();
  if (args.size() < 2) {
    // No directory: the top of the collections, which holds their roots.
    std::vector<std::string> roots;
    for (const auto& c : ctx.server.config().collection)
      roots.push_back(c.root);
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    ctx.conn.reply_body(253, "Listing follows", roots);
    return;
  }
  auto filter = listing_filter(args);
  std::optional<BoundedMatcher> matcher;
  if (filter) matcher.emplace(*filter, kListingRegexpBudget);
  BoundedMatcher* f = matcher ? &*matcher : nullptr;
  std::string dir = listing_directory(ctx, client_name(args[1]));
  std::vector<std::string> names;
  try {
    if (want_files) names = tracks.files(dir, f);
    if (want_dirs) {
      auto dirs = tracks.dirs(dir, f);
      names.insert(names.end(), dirs.begin(), dirs.end());
      std::sort(names.begin(), names.end());
    }
  } catch (const RegexpLimitError&) {
    // An answer without the names the pattern could not be tried on would
    // look complete: refuse the whole command instead.  Whoever sends
    // such patterns waits behind everyone else from now on.
    ctx.conn.penalise();
    throw UserError("regexp too expensive: it reached the limit on matching work;"
                    " use a simpler one");
  }
  ctx.conn.reply_body(253, "Listing follows", names);
}

std::string local_time(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  char buf[64];
  if (!::localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm))
    return std::to_string(seconds);
  return buf;
}

} // namespace

std::optional<std::string> resolve_track(CommandContext& ctx, const std::string& name) {
  auto& tracks = ctx.server.tracks();
  if (auto real = tracks.resolve(name)) return real;
  if (!is_relative(name)) return std::nullopt;
  std::vector<std::string> found;
  for (const auto& c : ctx.server.config().collection)
    if (auto real = tracks.resolve(under_root(c.root, name))) found.push_back(std::move(*real));
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  if (found.size() > 1)
    throw UserError("ambiguous track name " + echo(name) +
                    ": it is in several collections: " + echo_list(found));
  if (found.empty()) return std::nullopt;
  return found.front();
}

void exists(CommandContext& ctx, std::span<const std::string> args) {
  bool found = resolve_track(ctx, client_name(args[1])).has_value();
  ctx.conn.reply(252, found ? "yes" : "no");
}

void length(CommandContext& ctx, std::span<const std::string> args) {
  auto& tracks = ctx.server.tracks();
  auto name = resolve_track(ctx, client_name(args[1]));
  auto row = name ? tracks.find(*name) : std::nullopt;
  if (!row || !row->length) {
    // 550, not 555: DisOrder's clients read any 2xx or 555 reply as a number.
    ctx.conn.reply(550, row ? "length unknown" : "not found");
    return;
  }
  ctx.conn.reply(252, std::to_string(*row->length));
}

void part(CommandContext& ctx, std::span<const std::string> args) {
  auto& tracks = ctx.server.tracks();
  std::string name = client_name(args[1]);
  // A name that is neither a track nor an alias still has parts: those its
  // preferences and the namepart rules give (a queued track that has since
  // vanished keeps its display name).
  if (auto real = resolve_track(ctx, name)) name = *real;
  TrackFacts facts = tracks.facts(name, ctx.server.config().collection);
  ctx.conn.reply(252, quote_field(tracks.name_parts().part(facts, args[2], args[3])));
}

void resolve(CommandContext& ctx, std::span<const std::string> args) {
  // A name that is no alias is its own real name, as on DisOrder's server,
  // whether or not it is a track (exists tells).
  auto real = resolve_track(ctx, client_name(args[1]));
  ctx.conn.reply(252, quote_field(real ? *real : args[1]));
}

void files(CommandContext& ctx, std::span<const std::string> args) {
  reply_listing(ctx, true, false, args);
}

void dirs(CommandContext& ctx, std::span<const std::string> args) {
  reply_listing(ctx, false, true, args);
}

void allfiles(CommandContext& ctx, std::span<const std::string> args) {
  reply_listing(ctx, true, true, args);
}

void new_tracks(CommandContext& ctx, std::span<const std::string> args) {
  const Config& config = ctx.server.config();
  std::int64_t max = config.new_max;
  if (args.size() > 1) {
    const std::string& a = args[1];
    std::int64_t given = 0;
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), given);
    if (ec != std::errc() || end != a.data() + a.size() || given < 0)
      throw UserError("invalid maximum " + echo(a) + " (a whole number, 0 for new_max)");
    // DisOrder's clients send "new 0" for "as many as the server likes".
    if (given > 0) max = given;
  }
  auto since = std::chrono::system_clock::now() - config.noticed_history;
  std::int64_t since_s =
      std::chrono::duration_cast<std::chrono::seconds>(since.time_since_epoch()).count();
  ctx.conn.reply_body(253, "New track list follows", ctx.server.tracks().newest(max, since_s));
}

void stats(CommandContext& ctx, std::span<const std::string>) {
  CollectionStats s = ctx.server.tracks().stats();
  const Rescanner& rescanner = ctx.server.rescanner();
  std::vector<std::string> lines{
      "tracks: " + std::to_string(s.tracks),
      "directories: " + std::to_string(s.dirs),
      "tracks of unknown length: " + std::to_string(s.unknown_length),
      "tracks with preferences: " + std::to_string(s.with_prefs),
      "tracks with aliases: " + std::to_string(s.aliased),
      "database size: " + std::to_string(s.database_bytes) + " bytes",
      "last rescan: " + (s.last_rescan ? local_time(*s.last_rescan) : std::string("never")),
      rescanner.running()
          ? "rescan: in progress, " + std::to_string(rescanner.progress()) + " tracks so far"
          : std::string("rescan: not running"),
  };
  ctx.conn.reply_body(253, "Statistics follow", lines);
}

void tags(CommandContext& ctx, std::span<const std::string>) {
  ctx.conn.reply_body(253, "Tag list follows", ctx.server.tracks().tags());
}

void search(CommandContext& ctx, std::span<const std::string> args) {
  std::vector<std::string> found;
  try {
    found = ctx.server.tracks().search(to_nfc(args[1]));
  } catch (const SyntaxError& e) {
    throw UserError(std::string("invalid search terms: ") + e.what());
  }
  ctx.conn.reply_body(253, "Search results follow", found);
}

} // namespace disorder::commands
