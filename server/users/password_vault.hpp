// Keeps user passwords sealed in the database.
//
// The login protocol (disorder_protocol(5)) has the client send
// HASH(password || challenge) for a fresh challenge, so the server must be
// able to recover each password: a one-way hash cannot be stored.  What we
// can do is keep the database useless on its own: passwords are sealed with
// AES-256-GCM under a key kept in a separate file (home/private/password-key,
// mode 0600).  A copy of the database (a backup, a bug report) reveals no
// password; someone who can read the key file as well can recover them all.
#pragma once

#include <string>
#include <string_view>

namespace disorder {

class PasswordVault {
public:
  // Loads the key from key_path, creating it (mode 0600) on first use.
  explicit PasswordVault(const std::string& key_path);
  // nonce || ciphertext || tag.
  std::string seal(std::string_view password) const;
  // Throws Error if the data was not sealed with this key or was altered.
  std::string open(std::string_view sealed) const;

private:
  std::string key_;
};

} // namespace disorder
