// SQLite-backed user database.
#include "users/user_store.hpp"

#include "crypto.hpp"
#include "wall_clock.hpp"

#include <ctime>

namespace disorder {

namespace {
constexpr size_t kCookieBindingBytes = 16;
}

void UserStore::check_name(std::string_view name) {
  if (name.empty()) throw UserError("user name must not be empty");
  if (name.size() > 64) throw UserError("user name is longer than 64 bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == ' ')
      throw UserError("user name must not contain spaces or control characters");
}

std::optional<User> UserStore::find(std::string_view name) {
  auto& st = db_.cached(
      "SELECT name, password, rights, email, created, confirmation FROM users WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  User u;
  u.name = st.column_text(0);
  std::string sealed = st.column_text(1);
  std::string rights = st.column_text(2);
  u.email = st.column_text(3);
  u.created = st.column_int(4);
  u.confirmed = st.column_is_null(5);
  st.reset();
  u.password = vault_.open(sealed);
  try {
    u.rights = parse_rights(rights);
  } catch (const SyntaxError&) {
    u.rights = right::none; // a damaged row grants nothing
  }
  return u;
}

std::vector<std::string> UserStore::names() {
  std::vector<std::string> out;
  auto& st = db_.cached("SELECT name FROM users ORDER BY name");
  while (st.step())
    out.push_back(st.column_text(0));
  return out;
}

void UserStore::add(const std::string& name, std::string_view password, Rights rights,
                    std::string_view email) {
  check_name(name);
  if (find(name)) throw UserError("user '" + name + "' already exists");
  auto& st =
      db_.cached("INSERT INTO users (name, password, rights, email, created, cookie_binding) "
                 "VALUES (?, ?, ?, ?, ?, ?)");
  st.bind(1, name).bind_blob(2, vault_.seal(password)).bind(3, format_rights(rights));
  if (email.empty())
    st.bind(4, nullptr);
  else
    st.bind(4, email);
  st.bind(5, wall_seconds());
  // A fresh binding: no cookie made for an earlier account of this name
  // logs in to this one.
  st.bind_blob(6, random_bytes(kCookieBindingBytes));
  st.run();
}

std::string UserStore::add_unconfirmed(const std::string& name, std::string_view password,
                                       Rights rights, std::string_view email) {
  if (email.find('@') == std::string_view::npos)
    throw UserError("invalid email address '" + std::string(email) + "'");
  add(name, password, rights, email);
  std::string confirmation = to_hex(random_bytes(12));
  auto& st = db_.cached("UPDATE users SET confirmation = ? WHERE name = ?");
  st.bind(1, confirmation).bind(2, name).run();
  return confirmation;
}

bool UserStore::confirm(const std::string& name, std::string_view confirmation) {
  auto& st = db_.cached("SELECT confirmation FROM users WHERE name = ?");
  st.bind(1, name);
  const bool pending = st.step() && !st.column_is_null(0);
  const std::string expected = pending ? st.column_text(0) : std::string();
  st.reset();
  if (!pending || !secure_equal(expected, confirmation)) return false;
  auto& done = db_.cached("UPDATE users SET confirmation = NULL WHERE name = ?");
  done.bind(1, name).run();
  return true;
}

bool UserStore::remove(const std::string& name) {
  auto& st = db_.cached("DELETE FROM users WHERE name = ?");
  st.bind(1, name).run();
  return db_.changes() > 0;
}

std::optional<std::string> UserStore::property(const std::string& name, std::string_view prop) {
  auto u = find(name);
  if (!u) return std::nullopt;
  if (prop == "created") return std::to_string(u->created);
  if (prop == "email") return u->email.empty() ? std::nullopt : std::optional(u->email);
  if (prop == "password") return u->password;
  if (prop == "rights") return format_rights(u->rights);
  return std::nullopt;
}

void UserStore::set_property(const std::string& name, std::string_view prop,
                             std::string_view value) {
  if (!find(name)) throw UserError("no such user '" + name + "'");
  if (prop == "email") {
    if (!value.empty() && value.find('@') == std::string_view::npos)
      throw UserError("invalid email address '" + std::string(value) + "'");
    auto& st = db_.cached("UPDATE users SET email = ? WHERE name = ?");
    if (value.empty())
      st.bind(1, nullptr);
    else
      st.bind(1, value);
    st.bind(2, name).run();
  } else if (prop == "password") {
    // A new cookie binding with every new password: cookies made under the
    // old one stop working (users/cookies.hpp).
    auto& st = db_.cached("UPDATE users SET password = ?, cookie_binding = ? WHERE name = ?");
    st.bind_blob(1, vault_.seal(value)).bind_blob(2, random_bytes(kCookieBindingBytes));
    st.bind(3, name).run();
  } else if (prop == "rights") {
    Rights r;
    try {
      r = parse_rights(value);
    } catch (const SyntaxError& e) {
      throw UserError(e.what());
    }
    auto& st = db_.cached("UPDATE users SET rights = ? WHERE name = ?");
    st.bind(1, format_rights(r)).bind(2, name).run();
  } else if (prop == "created") {
    throw UserError("cannot modify property 'created'");
  } else {
    throw UserError("unknown user property '" + std::string(prop) + "'");
  }
}

} // namespace disorder
