// Playlists (disorder_protocol(5) "PLAYLISTS"): named lists of tracks kept
// in the database, each public, shared or private.  A name is either NAME,
// which belongs to nobody and is always public, or OWNER.NAME, which
// belongs to the user OWNER.  Who may read and change a playlist:
//
//   NAME                  anyone may read it and change it
//   OWNER.NAME, public    anyone may read it and change it
//   OWNER.NAME, shared    anyone may read it; OWNER changes it
//   OWNER.NAME, private   only OWNER may read or change it
//
// and an administrator may read and change every playlist.  (The rights
// `read` and `play` are checked by the command table.)  Also here: the
// locks that playlist-set needs, one per connection, released when the
// connection closes.  Loop thread only; methods may throw DatabaseError.
#pragma once

#include "sqlite.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

class Playlists {
public:
  struct Playlist {
    std::string share; // public, shared or private
    std::vector<std::string> tracks;
  };

  explicit Playlists(Database& db) : db_(db) {}

  // Throws UserError for a malformed name: empty, a part empty, more than
  // one '.', or a control character.
  static void check_name(const std::string& name);
  // The owner of OWNER.NAME; "" for NAME.
  static std::string owner(const std::string& name);
  // Throws UserError unless share is public, shared or private (and, for
  // a name without an owner, public).
  static void check_share(const std::string& name, const std::string& share);
  // The share a new playlist gets: private when owned, else public.
  static std::string default_share(const std::string& name);

  // user's view (admin: everything).  A playlist that does not exist may
  // be changed (created) by its owner, or by anyone when it has none.
  static bool may_read(const std::string& name, const std::string& share, const std::string& user,
                       bool admin);
  static bool may_change(const std::string& name, const std::optional<std::string>& share,
                         const std::string& user, bool admin);

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
  // connection).
  const void* lock_holder(const std::string& name) const;
  // Throws UserError if a holder other than this one has name locked.
  void check_not_locked_by_other(const std::string& name, const void* holder) const;
  void lock(const std::string& name, const void* holder);
  // Whatever holder has locked; "" if nothing.
  std::string locked_by(const void* holder) const;
  void unlock(const void* holder);

private:
  Database& db_;
  std::map<std::string, const void*> locks_;
};

} // namespace disorder
