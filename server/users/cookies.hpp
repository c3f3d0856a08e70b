// Login cookies (make-cookie, cookie, revoke).  A cookie names a user and an
// expiry time and carries an HMAC-SHA256 over them; cookies are opaque to
// clients:
//   v1/EXPIRY-HEX/USER-HEX/KEY-ID/MAC-HEX
//
// What the MAC depends on decides what a cookie is worth:
//  - the signing key.  Keys rotate every cookie_key_lifetime; the database
//    holds only a random salt per key (cookie_keys), and the key itself is
//    HMAC(master, salt) where master is the secret in home/private/cookie-key.
//    A copy of the database alone therefore cannot forge a cookie, and
//    cookies survive a restart as long as the key file does.
//  - the account's cookie binding (users.cookie_binding), random bytes made
//    with the account and replaced on every password change.  It is mixed
//    into the MAC but not written in the cookie, so a cookie stops working
//    when its user's password changes or the account is deleted (and stays
//    dead if an account of the same name is created again).
#pragma once

#include "sqlite.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace disorder {

class CookieJar {
public:
  // The size of the master secret (home/private/cookie-key).
  static constexpr std::size_t kMasterBytes = 32;

  // master: the secret from which signing keys are derived (the contents of
  // home/private/cookie-key).
  CookieJar(Database& db, std::string master) : db_(db), master_(std::move(master)) {}

  // A cookie for user valid for login_lifetime from now, signed with the
  // current key (a new key is made when the newest is key_lifetime old).
  // Throws UserError if there is no such user.
  std::string make(const std::string& user, std::chrono::seconds login_lifetime,
                   std::chrono::seconds key_lifetime);
  // The user the cookie names, if it is well formed, correctly signed for
  // that account as it is now, unexpired and not revoked.
  std::optional<std::string> check(std::string_view cookie);
  // Makes the cookie unusable (no-op for a cookie that would not check).
  void revoke(std::string_view cookie);
  // Forgets keys and revocations that can no longer matter.
  void expire(std::chrono::seconds login_lifetime, std::chrono::seconds key_lifetime);

private:
  struct Parsed {
    std::int64_t expiry;
    std::string user;
    std::int64_t key_id;
    std::string mac_hex;
    std::string signed_part;
  };
  static std::optional<Parsed> parse(std::string_view cookie);
  std::optional<std::string> key(std::int64_t id);
  std::optional<std::string> binding(const std::string& user);
  std::string mac_hex(const std::string& key, std::string_view signed_part,
                      std::string_view binding) const;
  Database& db_;
  const std::string master_;
};

} // namespace disorder
