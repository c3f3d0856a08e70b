// Playlists (disorder_protocol(5) "PLAYLISTS"): named lists of tracks kept
// in the database, with DisOrder's sharing rules.  A name is either NAME,
// which belongs to nobody, or OWNER.NAME, which belongs to the user OWNER.
// Who may read and change a playlist:
//
//   NAME, shared          anyone may read it and change it
//   OWNER.NAME, public    anyone may read it; only OWNER changes it
//   OWNER.NAME, private   only OWNER may read or change it
//
// An unowned playlist is always shared and an owned one never is.  Being an
// administrator changes none of this, as on DisOrder.  (The rights `read`
// and `play` are checked by the command table.)  Also here: the locks that
// playlist-set needs, one per connection, released when the connection
// closes or when they expire.  Loop thread only; methods may throw
// DatabaseError.
#pragma once

#include "sqlite.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

class Playlists {
public:
  using Clock = std::chrono::steady_clock;

  struct Playlist {
    std::string share; // shared (NAME), public or private (OWNER.NAME)
    std::vector<std::string> tracks;
  };

  explicit Playlists(Database& db) : db_(db) {}

  // Throws UserError for a malformed name: empty, a part empty, more than
  // one '.', or a control character.
  static void check_name(const std::string& name);
  // The owner of OWNER.NAME; "" for NAME.
  static std::string owner(const std::string& name);
  // Throws UserError unless share suits the name: shared for NAME, public
  // or private for OWNER.NAME.
  static void check_share(const std::string& name, const std::string& share);
  // The share a new playlist gets: shared for NAME, private for OWNER.NAME.
  static std::string default_share(const std::string& name);

  static bool may_read(const std::string& name, const std::string& share, const std::string& user);
  // Whether user may lock, set, share or delete the playlist (or create
  // it): it is unowned or theirs.  The name alone decides.
  static bool may_change(const std::string& name, const std::string& user);

  std::optional<Playlist> find(const std::string& name);
  // Every playlist's name and share, by name.
  std::vector<std::pair<std::string, std::string>> all();
  // Creates or replaces.
  void store(const std::string& name, const std::string& share,
             const std::vector<std::string>& tracks);
  // Of an existing playlist.
  void set_share(const std::string& name, const std::string& share);
  // False if there was no such playlist.
  bool remove(const std::string& name);

  // --- locks: who holds which playlist (the holder is an opaque key, the
  // connection) until when.  A lock past its expiry counts as none.
  // Throws UserError if a holder other than this one has name locked.
  void check_not_locked_by_other(const std::string& name, const void* holder,
                                 Clock::time_point now) const;
  // Throws UserError if the holder already has a lock ("Already holding a
  // lock") or another holder has this one ("Already locked").  A lifetime
  // of 0: until unlocked.
  void lock(const std::string& name, const void* holder, Clock::time_point now,
            std::chrono::seconds lifetime);
  // Whether holder has name locked and the lock has not expired.
  bool holds(const std::string& name, const void* holder, Clock::time_point now) const;
  // False if holder had no lock (expired or not).
  bool unlock(const void* holder);

private:
  struct Lock {
    const void* holder;
    Clock::time_point expires;
  };

  Database& db_;
  std::map<std::string, Lock> locks_;
};

} // namespace disorder
