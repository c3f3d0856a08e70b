// disorder-web's JSON API for protocol commands: which commands a browser
// may send (and with which HTTP method), and how each reply becomes JSON,
// with display names (artist, album, title) and lengths added to every
// track, from a cache that events keep fresh.
#pragma once

#include "async_client.hpp"
#include "event_loop.hpp"

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder::web {

// How a command's reply is turned into JSON.
enum class Shape {
  plain,       // {"code","text"}
  value,       // {"value"}
  lines,       // {"lines":[...]}
  tracks,      // {"tracks":[TRACK...]}
  entries,     // {"entries":[ENTRY...]}
  entry,       // {"entry":ENTRY|null}
  prefs,       // {"prefs":{...}}
  volume,      // {"left","right"} (or plain for a change)
  rtp_address, // {"host","port"}
  yes_no,      // {"value":"yes"|"no"}
};

struct ApiCommand {
  std::string_view name;
  bool change; // POST; otherwise GET
  Shape shape;
};

// The command named `name` sent as a change (POST) or a read (GET), or
// nullptr if browsers may not send it so.
const ApiCommand* find_api_command(std::string_view name, bool change);

// The JSON status for a protocol reply code that is not 2xx.
int http_status_for(int protocol_code);
// {"error":TEXT,"code":N}
std::string error_json(std::string_view text, int code);

// Display names and lengths of tracks, cached for all sessions.
class TrackInfoCache {
public:
  struct Info {
    std::string artist, album, title;
    std::optional<long long> length;
  };
  explicit TrackInfoCache(size_t capacity = 20000) : capacity_(capacity) {}

  // Makes sure every track in `tracks` is known, asking `client` for the
  // missing ones, then calls done.
  void fill(AsyncClient& client, const std::vector<std::string>& tracks,
            std::function<void()> done);
  const Info* find(const std::string& track);
  // An event line (without its time) that may make entries stale.
  void event(const std::vector<std::string>& fields);

private:
  struct Slot {
    Info info;
    std::list<std::string>::iterator lru;
  };
  void store(const std::string& track, Info info);
  size_t capacity_;
  std::map<std::string, Slot, std::less<>> map_;
  std::list<std::string> lru_; // most recent first
};

// Turns a successful reply into JSON of `shape`, using `cache` for tracks.
std::string shape_reply(Shape shape, const Reply& reply, TrackInfoCache& cache);
// The tracks a reply of `shape` mentions (to fill the cache first).
std::vector<std::string> tracks_of(Shape shape, const Reply& reply);

} // namespace disorder::web
