// Track lengths, display names and times for the human-oriented commands.
#include "cli_display.hpp"

#include <cstdio>
#include <ctime>

namespace disorder::cli {

std::string minutes_seconds(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  return buf;
}

std::string clock_time(std::int64_t epoch) {
  auto t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  char buf[16];
  if (!::localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%H:%M:%S", &tm))
    return "??:??:??";
  return buf;
}

bool is_integer_text(std::string_view v) {
  std::string_view digits = v.starts_with('-') ? v.substr(1) : v;
  return !digits.empty() && digits.size() <= 18 &&
         digits.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<std::int64_t> track_length(Client& client, const std::string& track) {
  Reply reply = client.request({"length", track});
  // 550: not found, or found without a known length (a track that has
  // gone since it was queued, a file the rescan could not decode).
  if (reply.code == 550) return std::nullopt;
  if (reply.code / 100 != 2) throw CommandError(reply.code, reply.text);
  std::string value = reply.value();
  if (!is_integer_text(value))
    throw ProtocolError("malformed reply from server: '" + value + "' is not a length");
  return std::stoll(value);
}

std::string display_name(Client& client, const std::string& track) {
  std::string artist = client.command({"part", track, "display", "artist"}).value();
  std::string title = client.command({"part", track, "display", "title"}).value();
  if (title.empty()) return track;
  if (artist.empty()) return title;
  return artist + " \u2013 " + title;
}

const std::string& TrackInfo::name(const std::string& track) {
  auto it = names_.find(track);
  if (it == names_.end()) it = names_.emplace(track, display_name(client_, track)).first;
  return it->second;
}

std::optional<std::int64_t> TrackInfo::length(const std::string& track) {
  auto it = lengths_.find(track);
  if (it == lengths_.end()) it = lengths_.emplace(track, track_length(client_, track)).first;
  return it->second;
}

const std::string& Entry::get(std::string_view name) const {
  static const std::string none;
  for (const auto& [n, v] : fields)
    if (n == name) return v;
  return none;
}

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

namespace {

bool is_numeric_field(std::string_view name) {
  return name == "when" || name == "played" || name == "expected" || name == "sofar" ||
         name == "wstat";
}

} // namespace

std::string json_entry(const Entry& e, const std::string& extra) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : e.fields) {
    out += (first ? "" : ", ") + json_string(name) + ": " +
           (is_numeric_field(name) && is_integer_text(value) ? value : json_string(value));
    first = false;
  }
  return out + extra + "}";
}

std::string json_length(const std::optional<std::int64_t>& length) {
  return length ? std::to_string(*length) : "null";
}

} // namespace disorder::cli
