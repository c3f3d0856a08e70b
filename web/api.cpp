// The browser-facing command table and reply shapes (api.hpp).
#include "web/api.hpp"

#include "split.hpp"
#include "web/json.hpp"

#include <array>
#include <memory>
#include <set>

namespace disorder::web {

namespace {

constexpr std::array kCommands{
    // Reads
    ApiCommand{"queue", false, Shape::entries},
    ApiCommand{"recent", false, Shape::entries},
    ApiCommand{"playing", false, Shape::entry},
    ApiCommand{"new", false, Shape::tracks},
    ApiCommand{"search", false, Shape::tracks},
    ApiCommand{"files", false, Shape::tracks},
    ApiCommand{"allfiles", false, Shape::tracks},
    ApiCommand{"dirs", false, Shape::lines},
    ApiCommand{"prefs", false, Shape::prefs},
    ApiCommand{"get", false, Shape::value},
    ApiCommand{"get-global", false, Shape::value},
    ApiCommand{"part", false, Shape::value},
    ApiCommand{"length", false, Shape::value},
    ApiCommand{"exists", false, Shape::yes_no},
    ApiCommand{"resolve", false, Shape::value},
    ApiCommand{"tags", false, Shape::lines},
    ApiCommand{"enabled", false, Shape::yes_no},
    ApiCommand{"random-enabled", false, Shape::yes_no},
    ApiCommand{"volume", false, Shape::volume},
    ApiCommand{"playlists", false, Shape::lines},
    ApiCommand{"playlist-get", false, Shape::tracks},
    ApiCommand{"playlist-get-share", false, Shape::value},
    ApiCommand{"users", false, Shape::lines},
    ApiCommand{"userinfo", false, Shape::value},
    ApiCommand{"rtp-address", false, Shape::rtp_address},
    ApiCommand{"rtp-sdp", false, Shape::lines},
    ApiCommand{"version", false, Shape::value},
    ApiCommand{"stats", false, Shape::lines},
    ApiCommand{"schedule-list", false, Shape::lines},
    ApiCommand{"schedule-get", false, Shape::prefs},
    // Changes
    ApiCommand{"play", true, Shape::value},
    ApiCommand{"playafter", true, Shape::plain},
    ApiCommand{"remove", true, Shape::plain},
    ApiCommand{"move", true, Shape::plain},
    ApiCommand{"moveafter", true, Shape::plain},
    ApiCommand{"scratch", true, Shape::plain},
    ApiCommand{"pause", true, Shape::plain},
    ApiCommand{"resume", true, Shape::plain},
    ApiCommand{"enable", true, Shape::plain},
    ApiCommand{"disable", true, Shape::plain},
    ApiCommand{"random-enable", true, Shape::plain},
    ApiCommand{"random-disable", true, Shape::plain},
    ApiCommand{"volume", true, Shape::volume},
    ApiCommand{"set", true, Shape::plain},
    ApiCommand{"unset", true, Shape::plain},
    ApiCommand{"set-global", true, Shape::plain},
    ApiCommand{"unset-global", true, Shape::plain},
    ApiCommand{"adopt", true, Shape::plain},
    ApiCommand{"playlist-set", true, Shape::plain},
    ApiCommand{"playlist-delete", true, Shape::plain},
    ApiCommand{"playlist-set-share", true, Shape::plain},
    ApiCommand{"adduser", true, Shape::plain},
    ApiCommand{"deluser", true, Shape::plain},
    ApiCommand{"edituser", true, Shape::plain},
    ApiCommand{"rescan", true, Shape::plain},
};

bool is_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

void track_fields(JsonWriter& j, const std::string& track, TrackInfoCache& cache) {
  const TrackInfoCache::Info* info = cache.find(track);
  j.field("artist", info ? info->artist : "");
  j.field("album", info ? info->album : "");
  j.field("title", info ? info->title : "");
  j.key("length");
  if (info && info->length)
    j.integer(*info->length);
  else
    j.null();
}

// A queue entry line: "KEY VALUE KEY VALUE ...".
void entry(JsonWriter& j, const std::string& line, TrackInfoCache& cache) {
  std::vector<std::string> f;
  try {
    f = split_fields(line);
  } catch (const std::exception&) {
  }
  j.begin_object();
  std::string track;
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& k = f[i];
    const std::string& v = f[i + 1];
    if (k == "artist" || k == "album" || k == "title" || k == "length") continue;
    j.key(k);
    if ((k == "when" || k == "played" || k == "expected" || k == "sofar") && is_number(v))
      j.integer(std::stoll(v));
    else
      j.string(v);
    if (k == "track") track = v;
  }
  if (!track.empty()) track_fields(j, track, cache);
  j.end_object();
}

std::string entry_track(const std::string& line) {
  try {
    auto f = split_fields(line);
    for (size_t i = 0; i + 1 < f.size(); i += 2)
      if (f[i] == "track") return f[i + 1];
  } catch (const std::exception&) {
  }
  return {};
}

} // namespace

const ApiCommand* find_api_command(std::string_view name, bool change) {
  for (const ApiCommand& c : kCommands)
    if (c.name == name && c.change == change) return &c;
  return nullptr;
}

int http_status_for(int code) {
  switch (code) {
  case 0:
    return 503;
  case 510:
    return 403;
  case 530:
    return 401;
  case 555:
    return 404;
  default:
    return 400;
  }
}

std::string error_json(std::string_view text, int code) {
  JsonWriter j;
  j.begin_object().field("error", text).key("code").integer(code).end_object();
  return j.take();
}

std::vector<std::string> tracks_of(Shape shape, const Reply& reply) {
  std::vector<std::string> out;
  switch (shape) {
  case Shape::tracks:
    out = reply.body;
    break;
  case Shape::entries:
    for (const auto& l : reply.body)
      if (auto t = entry_track(l); !t.empty()) out.push_back(std::move(t));
    break;
  case Shape::entry:
    if (reply.code == 252)
      if (auto t = entry_track(reply.text); !t.empty()) out.push_back(std::move(t));
    break;
  default:
    break;
  }
  return out;
}

std::string shape_reply(Shape shape, const Reply& reply, TrackInfoCache& cache) {
  JsonWriter j;
  j.begin_object().key("code").integer(reply.code).field("text", reply.text);
  auto value = [&reply]() -> std::string {
    try {
      return reply.value();
    } catch (const std::exception&) {
      return reply.text;
    }
  };
  switch (shape) {
  case Shape::plain:
    break;
  case Shape::value:
  case Shape::yes_no:
    if (reply.code == 252 || reply.code == 251) j.field("value", value());
    break;
  case Shape::lines:
    if (reply.has_body()) {
      j.key("lines").begin_array();
      for (const auto& l : reply.body)
        j.string(l);
      j.end_array();
    } else if (reply.code == 252) {
      j.field("value", value());
    }
    break;
  case Shape::tracks:
    j.key("tracks").begin_array();
    for (const auto& t : reply.body) {
      j.begin_object().field("track", t);
      track_fields(j, t, cache);
      j.end_object();
    }
    j.end_array();
    break;
  case Shape::entries:
    j.key("entries").begin_array();
    for (const auto& l : reply.body)
      entry(j, l, cache);
    j.end_array();
    break;
  case Shape::entry:
    j.key("entry");
    if (reply.code == 252)
      entry(j, reply.text, cache);
    else
      j.null();
    break;
  case Shape::prefs:
    j.key("prefs").begin_object();
    for (const auto& l : reply.body) {
      try {
        auto f = split_fields(l);
        if (f.size() >= 2) j.field(f[0], f[1]);
      } catch (const std::exception&) {
      }
    }
    j.end_object();
    break;
  case Shape::volume:
  case Shape::rtp_address:
    if (reply.code == 252) {
      std::vector<std::string> f;
      try {
        f = split_fields(reply.text);
      } catch (const std::exception&) {
      }
      if (f.size() >= 2) {
        if (shape == Shape::volume) {
          j.key("left").integer(is_number(f[0]) ? std::stoll(f[0]) : 0);
          j.key("right").integer(is_number(f[1]) ? std::stoll(f[1]) : 0);
        } else {
          j.field("host", f[0]).field("port", f[1]);
        }
      }
    }
    break;
  }
  j.end_object();
  return j.take();
}

// ------------------------------------------------------------- the cache

const TrackInfoCache::Info* TrackInfoCache::find(const std::string& track) {
  auto it = map_.find(track);
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second.info;
}

void TrackInfoCache::store(const std::string& track, Info info) {
  auto it = map_.find(track);
  if (it != map_.end()) {
    it->second.info = std::move(info);
    return;
  }
  lru_.push_front(track);
  map_.emplace(track, Slot{std::move(info), lru_.begin()});
  while (map_.size() > capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
}

void TrackInfoCache::fill(AsyncClient& client, const std::vector<std::string>& tracks,
                          std::function<void()> done) {
  std::set<std::string> missing;
  for (const auto& t : tracks)
    if (!map_.count(t)) missing.insert(t);
  if (missing.empty()) {
    done();
    return;
  }
  // One batch of pipelined commands; the last reply completes it.
  struct Batch {
    std::map<std::string, Info> infos;
    size_t outstanding = 0;
    std::function<void()> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->done = std::move(done);
  batch->outstanding = missing.size() * 4;
  auto finish_one = [this, batch] {
    if (--batch->outstanding) return;
    for (auto& [t, info] : batch->infos)
      store(t, std::move(info));
    batch->done();
  };
  for (const auto& t : missing) {
    batch->infos[t];
    for (const char* part : {"artist", "album", "title"}) {
      const std::string p = part;
      client.command({"part", t, "display", p}, [batch, t, p, finish_one](Reply& r) {
        if (r.ok()) {
          std::string v;
          try {
            v = r.value();
          } catch (const std::exception&) {
          }
          Info& info = batch->infos[t];
          (p == "artist" ? info.artist : p == "album" ? info.album : info.title) = v;
        }
        finish_one();
      });
    }
    client.command({"length", t}, [batch, t, finish_one](Reply& r) {
      if (r.ok()) {
        try {
          std::string v = r.value();
          if (is_number(v)) batch->infos[t].length = std::stoll(v);
        } catch (const std::exception&) {
        }
      }
      finish_one();
    });
  }
}

void TrackInfoCache::event(const std::vector<std::string>& f) {
  if (f.empty()) return;
  // A display preference of a track changed, or the collection did.
  if (f[0] == "pref" && f.size() >= 2) {
    auto it = map_.find(f[1]);
    if (it != map_.end()) {
      lru_.erase(it->second.lru);
      map_.erase(it);
    }
  } else if (f[0] == "rescanned") {
    map_.clear();
    lru_.clear();
  }
}

} // namespace disorder::web
