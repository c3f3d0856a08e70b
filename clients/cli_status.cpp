// disorder status: the one-screen summary (the playing track and how far it
// has played, the play and random-play switches, the volume and the next
// few queue entries with the times they should start), also what
// `disorder` alone prints on a terminal.
#include "cli.hpp"
#include "cli_display.hpp"

#include <array>
#include <chrono>

namespace disorder::cli {

namespace {

// How many queue entries the summary shows.
constexpr std::size_t kNextShown = 5;

struct QueuedTrack {
  Entry entry;
  std::string name;
  std::optional<std::int64_t> length;
  std::optional<std::int64_t> start; // seconds since the epoch
};

struct Status {
  std::optional<Entry> playing;
  std::string playing_name;
  std::optional<std::int64_t> playing_length;
  std::int64_t elapsed = 0;
  bool paused = false;
  bool enabled = false;
  bool random_enabled = false;
  std::string left, right;
  std::size_t queued = 0;
  std::vector<QueuedTrack> next;
};

bool yes_no(Context& c, const std::string& command) {
  std::string value = c.run({command}).value();
  if (value != "yes" && value != "no")
    throw ProtocolError("malformed reply from server: '" + value + "' is not yes or no");
  return value == "yes";
}

Status gather(Context& c) {
  Status s;
  Client& client = c.client();
  TrackInfo info(client);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Reply playing = c.run({"playing"});
  if (playing.code != 259) {
    s.playing = parse_entry(playing.text);
    const std::string& track = s.playing->get("track");
    s.playing_name = info.name(track);
    s.playing_length = info.length(track);
    s.paused = s.playing->get("state") == "paused";
    const std::string& sofar = s.playing->get("sofar");
    if (is_integer_text(sofar)) s.elapsed = std::stoll(sofar);
  }
  std::vector<Entry> queue = parse_entries(c.run({"queue"}).body);
  s.enabled = yes_no(c, "enabled");
  s.random_enabled = yes_no(c, "random-enabled");
  std::vector<std::string> volume = reply_fields(c.run({"volume"}).text);
  if (volume.size() != 2) throw ProtocolError("malformed volume from server");
  s.left = volume[0];
  s.right = volume[1];
  s.queued = queue.size();
  // The next track starts when the playing one ends (counted from now when
  // it is paused, as if resumed at once), or at once when nothing plays;
  // each after it when the one before ends.  Nothing starts while playing
  // is disabled, and an unknown length leaves every later time unknown.
  std::optional<std::int64_t> start;
  if (s.enabled) {
    if (!s.playing)
      start = now;
    else if (s.playing_length)
      start = now + std::max<std::int64_t>(0, *s.playing_length - s.elapsed);
  }
  for (std::size_t i = 0; i < queue.size() && i < kNextShown; ++i) {
    QueuedTrack q{queue[i], info.name(queue[i].get("track")), info.length(queue[i].get("track")),
                  start};
    if (start && q.length)
      *start += *q.length;
    else
      start.reset();
    s.next.push_back(std::move(q));
  }
  return s;
}

// " (alice)" for an entry somebody chose, "" for a random pick.
std::string by(const Entry& e) {
  const std::string& submitter = e.get("submitter");
  return submitter.empty() ? "" : " (" + submitter + ")";
}

void print_text(Context& c, const Status& s) {
  std::ostream& out = c.out();
  if (s.playing) {
    out << s.playing_name << by(*s.playing) << '\n';
    out << (s.paused ? "[paused]" : "[playing]") << ' ' << minutes_seconds(s.elapsed);
    if (s.playing_length) out << '/' << minutes_seconds(*s.playing_length);
    out << '\n';
  } else {
    out << "nothing playing\n";
  }
  out << "volume " << s.left << ' ' << s.right << "   playing "
      << (s.enabled ? "enabled" : "disabled") << "   random play "
      << (s.random_enabled ? "enabled" : "disabled") << '\n';
  if (s.next.empty()) {
    out << "queue empty\n";
    return;
  }
  out << "next:\n";
  for (const auto& q : s.next)
    out << "  " << (q.start ? clock_time(*q.start) : "--:--:--") << "  " << q.name << by(q.entry)
        << '\n';
  if (s.queued > s.next.size()) out << "  and " << s.queued - s.next.size() << " more\n";
}

std::string json_volume(const std::string& v) {
  return is_integer_text(v) ? v : json_string(v);
}

void print_json(Context& c, const Status& s) {
  std::string out = "{\"playing\": ";
  if (s.playing)
    out += json_entry(*s.playing, ", \"name\": " + json_string(s.playing_name) +
                                      ", \"length\": " + json_length(s.playing_length));
  else
    out += "null";
  out += std::string(", \"paused\": ") + (s.paused ? "true" : "false");
  out += std::string(", \"enabled\": ") + (s.enabled ? "true" : "false");
  out += std::string(", \"random_enabled\": ") + (s.random_enabled ? "true" : "false");
  out += ", \"volume\": {\"left\": " + json_volume(s.left) +
         ", \"right\": " + json_volume(s.right) + "}";
  out += ", \"queued\": " + std::to_string(s.queued) + ", \"next\": [";
  for (std::size_t i = 0; i < s.next.size(); ++i) {
    const QueuedTrack& q = s.next[i];
    out += (i ? ", " : "") + json_entry(q.entry, ", \"name\": " + json_string(q.name) +
                                                     ", \"length\": " + json_length(q.length) +
                                                     ", \"start\": " + json_length(q.start));
  }
  c.out() << out << "]}\n";
}

void status(Context& c, Args) {
  print_status(c);
}

const std::array table{
    Command{"status", 0, 0, "",
            "Display the playing track, the play and random play switches, the volume and the "
            "next tracks with their expected start times",
            status},
};

} // namespace

void print_status(Context& c) {
  Status s = gather(c);
  if (c.json())
    print_json(c, s);
  else
    print_text(c, s);
}

std::span<const Command> status_commands() {
  return table;
}

} // namespace disorder::cli
