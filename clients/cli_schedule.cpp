// The schedule commands of disorder(1): schedule-play, schedule-set-global,
// schedule-unset-global, schedule-list and schedule-del.  Times are given
// and shown in local time; the protocol speaks seconds since the epoch.
#include "cli.hpp"

#include "split.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

namespace disorder::cli {

namespace {

// The forms disorder(1) promises, the longest first so that a date is not
// taken for a time.
constexpr std::array kDateTimeForms{"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"};
constexpr std::array kTimeForms{"%H:%M:%S", "%H:%M"};

bool parse_exactly(const std::string& text, const char* form, std::tm& tm) {
  const char* end = ::strptime(text.c_str(), form, &tm);
  return end && *end == '\0';
}

std::int64_t to_epoch(std::tm tm) {
  tm.tm_isdst = -1; // whatever daylight saving time says on that day
  std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) throw Error("cannot convert the time to a timestamp");
  return static_cast<std::int64_t>(t);
}

} // namespace

std::int64_t parse_schedule_time(const std::string& text, std::int64_t now) {
  for (const char* form : kDateTimeForms) {
    std::tm tm{};
    if (parse_exactly(text, form, tm)) return to_epoch(tm);
  }
  // A time of day alone is its next occurrence: today, or tomorrow once it
  // has passed today.
  const std::time_t now_t = static_cast<std::time_t>(now);
  std::tm today{};
  ::localtime_r(&now_t, &today);
  for (const char* form : kTimeForms) {
    std::tm tm = today;
    tm.tm_sec = 0; // for HH:MM; strptime sets only the fields it reads
    if (!parse_exactly(text, form, tm)) continue;
    std::int64_t when = to_epoch(tm);
    if (when < now) {
      tm.tm_mday += 1; // mktime carries it into the next month or year
      when = to_epoch(tm);
    }
    return when;
  }
  throw Error("invalid time '" + text + "' (use YYYY-MM-DD HH:MM:SS, HH:MM:SS or HH:MM)");
}

namespace {

std::vector<std::string> add_command(Args a, std::string_view action, std::size_t action_args) {
  const std::int64_t now = wall_seconds();
  std::vector<std::string> f{"schedule-add", std::to_string(parse_schedule_time(a[0], now)), a[1],
                             std::string(action)};
  f.insert(f.end(), a.begin() + 2, a.begin() + 2 + static_cast<std::ptrdiff_t>(action_args));
  return f;
}

std::string local_time(std::int64_t when) {
  const std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  if (!::localtime_r(&t, &tm)) return std::to_string(when);
  char buf[64];
  if (!std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm)) return std::to_string(when);
  return buf;
}

// schedule-list: one event a line, soonest first:
//   ID YYYY-MM-DD HH:MM:SS N|J USER ACTION DATA
// where DATA is the track (play) or the preference and, unless it is to be
// unset, its value (set-global).  With --json, an array of objects holding
// every detail the server gave (schedule-get), the time as a number.
void schedule_list(Context& c, Args) {
  struct Line {
    std::int64_t when;
    std::string text;
    std::string json;
  };
  std::vector<Line> lines;
  for (const auto& id : c.run({"schedule-list"}).body) {
    Reply reply = c.client().request({"schedule-get", id});
    if (reply.code == 555) continue; // it ran or was deleted meanwhile
    if (reply.code / 100 != 2) throw CommandError(reply.code, reply.text);
    std::map<std::string, std::string> d;
    for (const auto& line : reply.body) {
      std::vector<std::string> kv;
      try {
        kv = split_fields(line);
      } catch (const SyntaxError& e) {
        throw ProtocolError(std::string("malformed reply from server: ") + e.what());
      }
      if (kv.size() == 2) d[kv[0]] = kv[1];
    }
    std::int64_t when = 0;
    try {
      when = std::stoll(d["when"]);
    } catch (const std::exception&) {
      throw ProtocolError("malformed time in event " + id);
    }
    std::string text = id + " " + local_time(when) + " " +
                       (d["priority"] == "junk"     ? "J"
                        : d["priority"] == "normal" ? "N"
                                                    : "?") +
                       " " + d["who"] + " " + d["action"];
    if (d["action"] == "play") {
      text += " " + d["track"];
    } else {
      text += " " + d["key"];
      if (d.contains("value")) text += " " + d["value"];
    }
    std::string json = "{\"id\": " + json_string(id);
    for (const auto& [key, value] : d) {
      if (key == "id") continue;
      json += ", " + json_string(key) + ": " +
              (key == "when" ? std::to_string(when) : json_string(value));
    }
    lines.push_back({when, text, json + "}"});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.when < b.when; });
  if (c.json()) {
    std::string out = "[";
    for (std::size_t i = 0; i < lines.size(); ++i)
      out += (i ? ", " : "") + lines[i].json;
    c.out() << out << "]\n";
    return;
  }
  for (const auto& l : lines)
    c.out() << l.text << '\n';
}

const std::array table{
    Command{"schedule-del", 1, 1, "ID", "Delete the scheduled event ID",
            [](Context& c, Args a) { c.run(fields("schedule-del", a)); }},
    Command{"schedule-list", 0, 0, "",
            "List the scheduled events, soonest first: ID, time, N or J (normal or junk), user, "
            "action and its arguments",
            schedule_list},
    Command{"schedule-play", 3, 3, "WHEN PRIORITY TRACK",
            "Play TRACK at time WHEN (WHEN is YYYY-MM-DD HH:MM:SS, HH:MM:SS or HH:MM, local time; "
            "PRIORITY is junk or normal)",
            [](Context& c, Args a) { c.run(add_command(a, "play", 1)); }},
    Command{"schedule-set-global", 4, 4, "WHEN PRIORITY NAME VALUE",
            "Set global preference NAME to VALUE at time WHEN",
            [](Context& c, Args a) { c.run(add_command(a, "set-global", 2)); }},
    Command{"schedule-unset-global", 3, 3, "WHEN PRIORITY NAME",
            "Unset global preference NAME at time WHEN",
            [](Context& c, Args a) { c.run(add_command(a, "set-global", 1)); }},
};

} // namespace

std::span<const Command> schedule_commands() {
  return table;
}

} // namespace disorder::cli
