// Playlist storage, names, sharing and locks.
#include "playlists.hpp"

#include "error.hpp"
#include "unicode.hpp"
#include "users/user_store.hpp" // UserError

#include <algorithm>

namespace disorder {

void Playlists::check_name(const std::string& name) {
  const auto bad = [&name](const std::string& why) {
    throw UserError("invalid playlist name '" + printable(name, 256) + "': " + why);
  };
  if (name.empty()) bad("it is empty");
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    bad("it holds a control character");
  const auto dot = name.find('.');
  if (dot == std::string::npos) return;
  if (name.find('.', dot + 1) != std::string::npos) bad("it holds more than one '.'");
  if (dot == 0 || dot + 1 == name.size()) bad("OWNER.NAME needs both parts");
}

std::string Playlists::owner(const std::string& name) {
  const auto dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

void Playlists::check_share(const std::string& name, const std::string& share) {
  if (share != "public" && share != "shared" && share != "private")
    throw UserError("invalid sharing status '" + printable(share, 256) +
                    "' (public, shared or private)");
  if (owner(name).empty()) {
    if (share != "shared")
      throw UserError("playlist '" + printable(name, 256) +
                      "' has no owner, so it can only be shared");
  } else if (share == "shared") {
    throw UserError("playlist '" + printable(name, 256) +
                    "' has an owner, so it can only be public or private");
  }
}

std::string Playlists::default_share(const std::string& name) {
  return owner(name).empty() ? "shared" : "private";
}

bool Playlists::may_read(const std::string& name, const std::string& share,
                         const std::string& user) {
  return share != "private" || owner(name) == user;
}

bool Playlists::may_change(const std::string& name, const std::string& user) {
  const std::string o = owner(name);
  return o.empty() || o == user;
}

std::optional<Playlists::Playlist> Playlists::find(const std::string& name) {
  auto& st = db_.cached("SELECT share, tracks FROM playlists WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) {
    st.reset();
    return std::nullopt;
  }
  Playlist p;
  p.share = st.column_text(0);
  const std::string tracks = st.column_text(1);
  st.reset();
  // Each track ends in a line feed.
  for (std::size_t at = 0, nl; (nl = tracks.find('\n', at)) != std::string::npos; at = nl + 1)
    p.tracks.push_back(tracks.substr(at, nl - at));
  return p;
}

std::vector<std::pair<std::string, std::string>> Playlists::all() {
  auto& st = db_.cached("SELECT name, share FROM playlists ORDER BY name");
  std::vector<std::pair<std::string, std::string>> out;
  while (st.step())
    out.emplace_back(st.column_text(0), st.column_text(1));
  return out;
}

void Playlists::store(const std::string& name, const std::string& share,
                      const std::vector<std::string>& tracks) {
  std::string joined;
  for (const auto& t : tracks)
    joined += t + '\n';
  auto& st = db_.cached("INSERT INTO playlists (name, share, tracks) VALUES (?, ?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET share = excluded.share, "
                        "tracks = excluded.tracks");
  st.bind(1, name).bind(2, share).bind(3, joined);
  st.run();
}

void Playlists::set_share(const std::string& name, const std::string& share) {
  auto& st = db_.cached("UPDATE playlists SET share = ? WHERE name = ?");
  st.bind(1, share).bind(2, name);
  st.run();
}

bool Playlists::remove(const std::string& name) {
  auto& st = db_.cached("DELETE FROM playlists WHERE name = ?");
  st.bind(1, name);
  st.run();
  return db_.changes() > 0;
}

void Playlists::check_not_locked_by_other(const std::string& name, const void* holder,
                                          Clock::time_point now) const {
  const auto it = locks_.find(name);
  if (it != locks_.end() && it->second.holder != holder && it->second.expires > now)
    throw UserError("playlist '" + printable(name, 256) + "' is locked");
}

void Playlists::lock(const std::string& name, const void* holder, Clock::time_point now,
                     std::chrono::seconds lifetime) {
  // As on DisOrder: one lock per connection, and no taking another's.
  for (auto it = locks_.begin(); it != locks_.end(); ++it)
    if (it->second.holder == holder) {
      if (it->second.expires > now) throw UserError("Already holding a lock");
      locks_.erase(it);
      break;
    }
  const auto it = locks_.find(name);
  if (it != locks_.end() && it->second.expires > now) throw UserError("Already locked");
  locks_[name] = Lock{holder, lifetime.count() > 0 ? now + lifetime : Clock::time_point::max()};
}

bool Playlists::holds(const std::string& name, const void* holder, Clock::time_point now) const {
  const auto it = locks_.find(name);
  return it != locks_.end() && it->second.holder == holder && it->second.expires > now;
}

bool Playlists::unlock(const void* holder) {
  return std::erase_if(locks_,
                       [holder](const auto& entry) { return entry.second.holder == holder; }) > 0;
}

} // namespace disorder
