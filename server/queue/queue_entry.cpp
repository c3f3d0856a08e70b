// Names of origins and states, and the track-information line.
#include "queue/queue_entry.hpp"

#include "error.hpp"
#include "split.hpp"

#include <array>
#include <utility>

namespace disorder {

namespace {
constexpr std::array<std::pair<Origin, const char*>, 5> kOrigins{{
    {Origin::picked, "picked"},
    {Origin::random, "random"},
    {Origin::adopted, "adopted"},
    {Origin::scheduled, "scheduled"},
    {Origin::scratch, "scratch"},
}};
constexpr std::array<std::pair<EntryState, const char*>, 7> kStates{{
    {EntryState::unplayed, "unplayed"},
    {EntryState::started, "started"},
    {EntryState::paused, "paused"},
    {EntryState::ok, "ok"},
    {EntryState::failed, "failed"},
    {EntryState::scratched, "scratched"},
    {EntryState::quitting, "quitting"},
}};
} // namespace

const char* to_string(Origin o) {
  for (auto& [k, v] : kOrigins)
    if (k == o) return v;
  return "picked";
}

const char* to_string(EntryState s) {
  for (auto& [k, v] : kStates)
    if (k == s) return v;
  return "unplayed";
}

Origin origin_from_string(std::string_view s) {
  for (auto& [k, v] : kOrigins)
    if (s == v) return k;
  throw SyntaxError("unknown origin '" + std::string(s) + "'");
}

EntryState state_from_string(std::string_view s) {
  for (auto& [k, v] : kStates)
    if (s == v) return k;
  throw SyntaxError("unknown state '" + std::string(s) + "'");
}

std::string QueueEntry::format() const {
  std::string out;
  auto pair = [&out](std::string_view name, std::string_view value) {
    append_field(out, name);
    append_field(out, value);
  };
  pair("id", id);
  pair("track", track);
  if (!submitter.empty()) pair("submitter", submitter);
  pair("when", std::to_string(when));
  if (played) pair("played", std::to_string(played));
  pair("state", to_string(state));
  pair("origin", to_string(origin));
  if (state == EntryState::started || state == EntryState::paused)
    pair("sofar", std::to_string(sofar));
  if (!scratched.empty()) pair("scratched", scratched);
  if (wstat) pair("wstat", std::to_string(*wstat));
  if (expected) pair("expected", std::to_string(expected));
  return out;
}

} // namespace disorder
