// Signed login cookies: keys derived from home/private/cookie-key and a
// rotating salt in SQLite, bound to the account they name.
#include "users/cookies.hpp"

#include "crypto.hpp"
#include "users/user_store.hpp"
#include "wall_clock.hpp"

#include <charconv>
#include <ctime>
#include <vector>

namespace disorder {

namespace {
// The size of users.cookie_binding and of each cookie_keys salt.
constexpr size_t kBindingBytes = 16, kSaltBytes = 32;

std::string hex_number(std::int64_t v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  return std::string(buf, r.ptr);
}

std::optional<std::int64_t> parse_number(std::string_view s, int base) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}
} // namespace

std::optional<CookieJar::Parsed> CookieJar::parse(std::string_view cookie) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() <= 5) {
    size_t slash = cookie.find('/', start);
    parts.push_back(cookie.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[0] != "v1") return std::nullopt;
  Parsed p;
  auto expiry = parse_number(parts[1], 16);
  auto key_id = parse_number(parts[3], 10);
  if (!expiry || !key_id) return std::nullopt;
  try {
    p.user = from_hex(parts[2]);
  } catch (const SyntaxError&) {
    return std::nullopt;
  }
  p.expiry = *expiry;
  p.key_id = *key_id;
  p.mac_hex = std::string(parts[4]);
  p.signed_part = std::string(cookie.substr(0, cookie.size() - parts[4].size() - 1));
  return p;
}

std::optional<std::string> CookieJar::key(std::int64_t id) {
  auto& st = db_.cached("SELECT secret FROM cookie_keys WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  std::string salt = st.column_text(0);
  st.reset();
  return hmac_sha256(master_, "disorder cookie key\n" + salt);
}

std::optional<std::string> CookieJar::binding(const std::string& user) {
  auto& st = db_.cached("SELECT cookie_binding FROM users WHERE name = ?");
  st.bind(1, user);
  if (!st.step()) return std::nullopt;
  // NULL (read as empty) only in a row written by hand: no cookie checks
  // for it until make() gives it a binding.
  std::string b = st.column_text(0);
  st.reset();
  if (b.empty()) return std::nullopt;
  return b;
}

std::string CookieJar::mac_hex(const std::string& key, std::string_view signed_part,
                               std::string_view binding) const {
  // The signed part is printable ASCII, so the NUL keeps the two apart.
  std::string data(signed_part);
  data += '\0';
  data += binding;
  return to_hex(hmac_sha256(key, data));
}

std::string CookieJar::make(const std::string& user, std::chrono::seconds login_lifetime,
                            std::chrono::seconds key_lifetime) {
  auto b = binding(user);
  if (!b) {
    db_.cached("UPDATE users SET cookie_binding = ? "
               "WHERE name = ? AND (cookie_binding IS NULL OR length(cookie_binding) = 0)")
        .bind_blob(1, random_bytes(kBindingBytes))
        .bind(2, user)
        .run();
    b = binding(user);
    if (!b) throw UserError("no such user '" + user + "'");
  }
  std::int64_t id = -1;
  {
    auto& st = db_.cached("SELECT id FROM cookie_keys WHERE created > ? "
                          "ORDER BY created DESC LIMIT 1");
    st.bind(1, wall_seconds() - key_lifetime.count());
    if (st.step()) id = st.column_int(0);
    st.reset();
  }
  if (id < 0) {
    auto& ins = db_.cached("INSERT INTO cookie_keys (secret, created) VALUES (?, ?)");
    ins.bind_blob(1, random_bytes(kSaltBytes)).bind(2, wall_seconds()).run();
    id = db_.last_insert_rowid();
  }
  std::string body = "v1/" + hex_number(wall_seconds() + login_lifetime.count()) + "/" +
                     to_hex(user) + "/" + std::to_string(id);
  return body + "/" + mac_hex(*key(id), body, *b);
}

std::optional<std::string> CookieJar::check(std::string_view cookie) {
  auto p = parse(cookie);
  if (!p || p->expiry < wall_seconds()) return std::nullopt;
  auto k = key(p->key_id);
  if (!k) return std::nullopt;
  auto b = binding(p->user);
  if (!b) return std::nullopt;
  if (!secure_equal(mac_hex(*k, p->signed_part, *b), p->mac_hex)) return std::nullopt;
  auto& st = db_.cached("SELECT 1 FROM revoked_cookies WHERE mac = ?");
  st.bind(1, p->mac_hex);
  bool revoked = st.step();
  st.reset();
  if (revoked) return std::nullopt;
  return p->user;
}

void CookieJar::revoke(std::string_view cookie) {
  if (!check(cookie)) return;
  auto p = parse(cookie);
  auto& st = db_.cached("INSERT OR IGNORE INTO revoked_cookies (mac, expires) VALUES (?, ?)");
  st.bind(1, p->mac_hex).bind(2, p->expiry).run();
}

void CookieJar::expire(std::chrono::seconds login_lifetime, std::chrono::seconds key_lifetime) {
  db_.cached("DELETE FROM revoked_cookies WHERE expires < ?").bind(1, wall_seconds()).run();
  db_.cached("DELETE FROM cookie_keys WHERE created < ?")
      .bind(1, wall_seconds() - key_lifetime.count() - login_lifetime.count())
      .run();
}

} // namespace disorder
