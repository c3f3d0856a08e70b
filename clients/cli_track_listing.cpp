// queue, recent and playing: queue entries (disorder_protocol(5)'s track
// information) printed in each output format: DisOrder's, the aligned
// table, or JSON.
#include "cli.hpp"
#include "cli_display.hpp"

#include <algorithm>
#include <ctime>
#include <sys/wait.h>
#include <utility>

namespace disorder::cli {

namespace {

// With --long each entry also carries its length, asked of the server
// (nullopt: unknown); without it, the list is empty.
using Lengths = std::vector<std::optional<std::int64_t>>;

Lengths lengths_of(Context& c, const std::vector<Entry>& entries) {
  TrackInfo info(c.client());
  Lengths lengths;
  for (const auto& e : entries)
    lengths.push_back(info.length(e.get("track")));
  return lengths;
}

// How far a started or paused entry has played, or nullopt.
std::optional<std::int64_t> elapsed(const Entry& e) {
  const std::string& state = e.get("state");
  const std::string& sofar = e.get("sofar");
  if ((state == "started" || state == "paused") && is_integer_text(sofar)) return std::stoll(sofar);
  return std::nullopt;
}

// --long's time column: "3:25", "0:12/3:25" for the playing track, "-"
// when unknown.
std::string time_cell(const Entry& e, const std::optional<std::int64_t>& length) {
  std::string total = length ? minutes_seconds(*length) : "-";
  if (auto done = elapsed(e)) return minutes_seconds(*done) + "/" + total;
  return total;
}

// --- table: ID STATE ORIGIN SUBMITTER [TIME] TRACK.  The first columns
// never hold spaces and are padded to line up, two spaces apart; the track
// name, which may hold spaces, is the rest of the line.  So a script splits
// a line at runs of spaces four times (five with --long; shell `read id
// state origin submitter track` does exactly that).  Absent values are "-".
void print_table(Context& c, const std::vector<Entry>& entries, const Lengths& lengths) {
  const bool with_time = !lengths.empty();
  const std::size_t columns = with_time ? 5 : 4;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t n = 0; n < entries.size(); ++n) {
    const Entry& e = entries[n];
    std::vector<std::string> row;
    for (std::string_view name : {"id", "state", "origin", "submitter"}) {
      const std::string& v = e.get(name);
      row.push_back(v.empty() ? std::string("-") : v);
    }
    if (with_time) row.push_back(time_cell(e, lengths[n]));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(columns, 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < columns; ++i)
      width[i] = std::max(width[i], row[i].size());
  for (std::size_t n = 0; n < entries.size(); ++n) {
    for (std::size_t i = 0; i < columns; ++i)
      c.out() << rows[n][i] << std::string(width[i] - rows[n][i].size() + 2, ' ');
    c.out() << entries[n].get("track") << '\n';
  }
}

// --- disorder: DisOrder's disorder(1) prints an entry as a "track" line
// followed by indented lines for what is known of it, for example
//
//   track /music/a.ogg
//     id 4bc580d9ba27
//     picked by amy at Wed Dec  2 03:22:45 2026
//     played at Wed Dec  2 03:22:45 2026
//     3s so far  started
//
// Times are local, in ctime(3)'s form.  A value that is not a time is
// shown as it came.
std::string local_time(const std::string& value) {
  if (!is_integer_text(value)) return value;
  auto t = static_cast<std::time_t>(std::stoll(value));
  std::tm tm{};
  char buf[64];
  if (!::localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm))
    return value;
  return buf;
}

// How the player ended, from its wait status; "" for a clean exit.
std::string player_status(const std::string& value) {
  if (!is_integer_text(value)) return "status " + value;
  int status = std::stoi(value);
  if (WIFEXITED(status))
    return WEXITSTATUS(status) ? "exited with status " + std::to_string(WEXITSTATUS(status)) : "";
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (WCOREDUMP(status) ? " (core dumped)" : "");
  return "status " + value;
}

void print_disorder(Context& c, const Entry& e, const Lengths& lengths, std::size_t n) {
  std::ostream& out = c.out();
  out << "track " << e.get("track") << '\n';
  out << "  id " << e.get("id") << '\n';
  if (const std::string& submitter = e.get("submitter"); !submitter.empty()) {
    const std::string& origin = e.get("origin");
    out << "  " << (origin.empty() ? "picked" : origin) << " by " << submitter;
    if (const std::string& when = e.get("when"); !when.empty()) out << " at " << local_time(when);
    out << '\n';
  }
  if (const std::string& expected = e.get("expected"); !expected.empty())
    out << "  might start at " << local_time(expected) << '\n';
  if (const std::string& played = e.get("played"); !played.empty())
    out << "  played at " << local_time(played) << '\n';
  const std::string& state = e.get("state");
  const std::string& sofar = e.get("sofar");
  const std::string& scratched = e.get("scratched");
  if ((state == "started" || state == "paused") && !sofar.empty())
    out << "  " << sofar << "s so far  " << state << '\n';
  else if (state == "scratched" && !scratched.empty())
    out << "  scratched by " << scratched << '\n';
  else if (!state.empty())
    out << "  " << state << '\n';
  if (const std::string& wstat = e.get("wstat"); !wstat.empty())
    if (std::string how = player_status(wstat); !how.empty()) out << "  " << how << '\n';
  if (lengths.empty()) return;
  // --long: a line of our own after DisOrder's, which scripts that know
  // DisOrder's lines can skip.
  std::string total = lengths[n] ? minutes_seconds(*lengths[n]) : "unknown";
  if (auto done = elapsed(e))
    out << "  elapsed " << minutes_seconds(*done) << " of " << total << '\n';
  else
    out << "  length " << total << '\n';
}

std::string json_with_length(const Entry& e, const Lengths& lengths, std::size_t n) {
  return lengths.empty() ? json_entry(e)
                         : json_entry(e, ", \"length\": " + json_length(lengths[n]));
}

void print_entries(Context& c, const std::vector<Entry>& entries, const Lengths& lengths) {
  switch (c.format()) {
  case Format::table:
    print_table(c, entries, lengths);
    break;
  case Format::json: {
    std::string line = "[";
    for (std::size_t i = 0; i < entries.size(); ++i)
      line += (i ? ", " : "") + json_with_length(entries[i], lengths, i);
    c.out() << line << "]\n";
    break;
  }
  case Format::disorder:
    for (std::size_t i = 0; i < entries.size(); ++i)
      print_disorder(c, entries[i], lengths, i);
    break;
  }
}

} // namespace

void print_queue(Context& c, std::string_view command, bool long_form) {
  std::vector<Entry> entries = parse_entries(c.run({std::string(command)}).body);
  print_entries(c, entries, long_form ? lengths_of(c, entries) : Lengths{});
}

// Nothing playing: DisOrder prints "nothing", the table nothing at all (so
// that a script needs no special case), JSON null.  Success either way.
void print_playing(Context& c, bool long_form) {
  Reply reply = c.run({"playing"});
  if (reply.code == 259) {
    switch (c.format()) {
    case Format::table:
      break;
    case Format::json:
      c.out() << "null\n";
      break;
    case Format::disorder:
      c.out() << "nothing\n";
      break;
    }
    return;
  }
  Entry e = parse_entry(reply.text);
  Lengths lengths = long_form ? lengths_of(c, {e}) : Lengths{};
  if (c.json())
    c.out() << json_with_length(e, lengths, 0) << '\n';
  else
    print_entries(c, {e}, lengths);
}

} // namespace disorder::cli
