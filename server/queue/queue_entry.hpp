// One entry of the play queue, the playing track, or the recently-played
// list, with the fields of disorder_protocol(5) "TRACK INFORMATION".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace disorder {

enum class Origin { picked, random, adopted, scheduled, scratch };
enum class EntryState { unplayed, started, paused, ok, failed, scratched, quitting };

const char* to_string(Origin o);
const char* to_string(EntryState s);
Origin origin_from_string(std::string_view s);    // throws SyntaxError
EntryState state_from_string(std::string_view s); // throws SyntaxError

struct QueueEntry {
  std::string id;
  std::string track;
  std::string submitter; // empty for random picks
  Origin origin = Origin::picked;
  EntryState state = EntryState::unplayed;
  std::int64_t when = 0;     // queued (seconds since the epoch)
  std::int64_t played = 0;   // started playing (0: not yet)
  std::int64_t sofar = 0;    // seconds played so far
  std::string scratched;     // who scratched it
  std::optional<int> wstat;  // the player's wait status
  std::int64_t expected = 0; // when it is expected to start (0: unknown)

  // "id ID track NAME ..." as name/value fields for a response line.
  std::string format() const;
};

} // namespace disorder
