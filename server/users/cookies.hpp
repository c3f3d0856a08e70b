// Login cookies (make-cookie, cookie, revoke).  A cookie names a user and an
// expiry time and is signed with HMAC-SHA256 under a server key; keys rotate
// every cookie_key_lifetime and are kept in the database, so cookies survive
// a restart.  Cookies are opaque to clients:
//   v1/EXPIRY-HEX/USER-HEX/KEY-ID/MAC-HEX
#pragma once

#include "sqlite.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace disorder {

class CookieJar {
public:
  explicit CookieJar(Database& db) : db_(db) {}

  // A cookie for user valid for login_lifetime from now, signed with the
  // current key (a new key is made when the newest is key_lifetime old).
  std::string make(const std::string& user, std::chrono::seconds login_lifetime,
                   std::chrono::seconds key_lifetime);
  // The user the cookie names, if it is well formed, correctly signed,
  // unexpired and not revoked.
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
  Database& db_;
};

} // namespace disorder
