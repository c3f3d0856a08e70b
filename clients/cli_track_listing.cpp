// queue, recent and playing: queue entries (disorder_protocol(5)'s track
// information) printed in each output format: DisOrder's, the aligned
// table, or JSON.
#include "cli.hpp"

#include <algorithm>
#include <ctime>
#include <sys/wait.h>
#include <utility>

namespace disorder::cli {

namespace {

// One queue entry: its fields in the order the server sent them.
struct Entry {
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of a field, or "" if absent.
  const std::string& get(std::string_view name) const {
    static const std::string none;
    for (const auto& [n, v] : fields)
      if (n == name) return v;
    return none;
  }
};

Entry parse_entry(const std::string& line) {
  std::vector<std::string> f = reply_fields(line);
  if (f.size() % 2) throw ProtocolError("malformed track information from server: " + line);
  Entry e;
  for (std::size_t i = 0; i < f.size(); i += 2)
    e.fields.emplace_back(std::move(f[i]), std::move(f[i + 1]));
  if (e.get("id").empty() || e.get("track").empty())
    throw ProtocolError("track information without an id or a track from server: " + line);
  return e;
}

std::vector<Entry> parse_entries(const std::vector<std::string>& lines) {
  std::vector<Entry> entries;
  for (const auto& line : lines)
    entries.push_back(parse_entry(line));
  return entries;
}

// --- table: ID STATE ORIGIN SUBMITTER TRACK.  The first four columns never
// hold spaces and are padded to line up, two spaces apart; the track name,
// which may hold spaces, is the rest of the line.  So a script splits a
// line at runs of spaces four times (shell `read id state origin submitter
// track` does exactly that).  Absent values are "-".
void print_table(Context& c, const std::vector<Entry>& entries) {
  auto cell = [](const Entry& e, std::string_view name) {
    const std::string& v = e.get(name);
    return v.empty() ? std::string("-") : v;
  };
  static constexpr std::string_view kColumns[] = {"id", "state", "origin", "submitter"};
  std::size_t width[4] = {};
  for (const auto& e : entries)
    for (std::size_t i = 0; i < 4; ++i)
      width[i] = std::max(width[i], cell(e, kColumns[i]).size());
  for (const auto& e : entries) {
    for (std::size_t i = 0; i < 4; ++i) {
      std::string v = cell(e, kColumns[i]);
      c.out() << v << std::string(width[i] - v.size() + 2, ' ');
    }
    c.out() << e.get("track") << '\n';
  }
}

// --- json: an object per entry holding every field the server sent; the
// times (seconds since the epoch), sofar and wstat are numbers.
bool is_numeric_field(std::string_view name) {
  return name == "when" || name == "played" || name == "expected" || name == "sofar" ||
         name == "wstat";
}

bool is_integer(std::string_view v) {
  std::string_view digits = v.starts_with('-') ? v.substr(1) : v;
  return !digits.empty() && digits.size() <= 18 &&
         digits.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string json_entry(const Entry& e) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : e.fields) {
    out += (first ? "" : ", ") + json_string(name) + ": " +
           (is_numeric_field(name) && is_integer(value) ? value : json_string(value));
    first = false;
  }
  return out + "}";
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
  if (!is_integer(value)) return value;
  auto t = static_cast<std::time_t>(std::stoll(value));
  std::tm tm{};
  char buf[64];
  if (!::localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm))
    return value;
  return buf;
}

// How the player ended, from its wait status; "" for a clean exit.
std::string player_status(const std::string& value) {
  if (!is_integer(value)) return "status " + value;
  int status = std::stoi(value);
  if (WIFEXITED(status))
    return WEXITSTATUS(status) ? "exited with status " + std::to_string(WEXITSTATUS(status)) : "";
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (WCOREDUMP(status) ? " (core dumped)" : "");
  return "status " + value;
}

void print_disorder(Context& c, const Entry& e) {
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
}

void print_entries(Context& c, const std::vector<Entry>& entries) {
  switch (c.format()) {
  case Format::table:
    print_table(c, entries);
    break;
  case Format::json: {
    std::string line = "[";
    for (std::size_t i = 0; i < entries.size(); ++i)
      line += (i ? ", " : "") + json_entry(entries[i]);
    c.out() << line << "]\n";
    break;
  }
  case Format::disorder:
    for (const auto& e : entries)
      print_disorder(c, e);
    break;
  }
}

} // namespace

void print_queue(Context& c, std::string_view command) {
  print_entries(c, parse_entries(c.run({std::string(command)}).body));
}

// Nothing playing: DisOrder prints "nothing", the table nothing at all (so
// that a script needs no special case), JSON null.  Success either way.
void print_playing(Context& c) {
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
  if (c.json())
    c.out() << json_entry(e) << '\n';
  else
    print_entries(c, {e});
}

} // namespace disorder::cli
