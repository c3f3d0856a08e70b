// What the human-oriented commands (status, watch, queue --long) share:
// a track's length and display name as the server knows them, and times
// as people read them.
#pragma once

#include "cli.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace disorder::cli {

// A duration as m:ss (h:mm:ss from an hour on); negative durations are 0:00.
std::string minutes_seconds(std::int64_t seconds);

// A time (seconds since the epoch) as local HH:MM:SS.
std::string clock_time(std::int64_t epoch);

// The length of TRACK in seconds (the protocol's `length`), or nullopt when
// the server does not know it.  Other refusals throw CommandError.
std::optional<std::int64_t> track_length(Client& client, const std::string& track);

// "Artist – Title" from the track's display name parts, the title alone
// when there is no artist, the path when there is neither.
std::string display_name(Client& client, const std::string& track);

// Remembers names and lengths, so that a track seen many times (a watch
// session, a queue holding it twice) is asked about once.
class TrackInfo {
public:
  explicit TrackInfo(Client& client) : client_(client) {}
  const std::string& name(const std::string& track);
  std::optional<std::int64_t> length(const std::string& track);

private:
  Client& client_;
  std::map<std::string, std::string> names_;
  std::map<std::string, std::optional<std::int64_t>> lengths_;
};

// Whether v is a (possibly negative) decimal integer that fits an int64.
bool is_integer_text(std::string_view v);

// One queue entry (disorder_protocol(5)'s track information): its fields
// in the order the server sent them.
struct Entry {
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of a field, or "" if absent.
  const std::string& get(std::string_view name) const;
};

// Throws ProtocolError for a line that is not track information.
Entry parse_entry(const std::string& line);
std::vector<Entry> parse_entries(const std::vector<std::string>& lines);

// A JSON object holding every field the server sent, the times (seconds
// since the epoch), sofar and wstat as numbers; `extra` (", \"name\": value"
// pairs, already JSON) is added at its end.
std::string json_entry(const Entry& e, const std::string& extra = "");

// A length as JSON: a number, or null when unknown.
std::string json_length(const std::optional<std::int64_t>& length);

} // namespace disorder::cli
