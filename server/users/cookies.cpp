// Signed login cookies stored with rotating keys in SQLite.
#include "users/cookies.hpp"

#include "crypto.hpp"

#include <charconv>
#include <ctime>
#include <vector>

namespace disorder {

namespace {
std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

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
  while (true) {
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
  std::string secret = st.column_text(0);
  st.reset();
  return secret;
}

std::string CookieJar::make(const std::string& user, std::chrono::seconds login_lifetime,
                            std::chrono::seconds key_lifetime) {
  std::int64_t id = -1;
  std::string secret;
  {
    auto& st = db_.cached("SELECT id, secret FROM cookie_keys WHERE created > ? "
                          "ORDER BY created DESC LIMIT 1");
    st.bind(1, now() - key_lifetime.count());
    if (st.step()) {
      id = st.column_int(0);
      secret = st.column_text(1);
    }
    st.reset();
  }
  if (id < 0) {
    secret = random_bytes(32);
    auto& ins = db_.cached("INSERT INTO cookie_keys (secret, created) VALUES (?, ?)");
    ins.bind_blob(1, secret).bind(2, now()).run();
    id = db_.last_insert_rowid();
  }
  std::string body = "v1/" + hex_number(now() + login_lifetime.count()) + "/" + to_hex(user) + "/" +
                     std::to_string(id);
  return body + "/" + to_hex(hmac_sha256(secret, body));
}

std::optional<std::string> CookieJar::check(std::string_view cookie) {
  auto p = parse(cookie);
  if (!p || p->expiry < now()) return std::nullopt;
  auto secret = key(p->key_id);
  if (!secret) return std::nullopt;
  if (!secure_equal(to_hex(hmac_sha256(*secret, p->signed_part)), p->mac_hex)) return std::nullopt;
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
  db_.cached("DELETE FROM revoked_cookies WHERE expires < ?").bind(1, now()).run();
  db_.cached("DELETE FROM cookie_keys WHERE created < ?")
      .bind(1, now() - key_lifetime.count() - login_lifetime.count())
      .run();
}

} // namespace disorder
