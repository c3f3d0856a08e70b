// libFuzzer target for login cookies (server/users/cookies.cpp): whatever a
// client sends with `cookie` is parsed and checked against a real jar in an
// in-memory database.  A refusal is a correct answer; a crash, or a cookie
// accepted that the jar did not make itself, is a bug.  Each input is
// checked as it is and also spliced into one of the jar's own valid
// cookies, so that near misses (one field or a few MAC digits changed) are
// tried too; revoking a cookie the jar did not make must revoke nothing.
//
// Run it under libFuzzer with `scripts/fuzz cookie [SECONDS]`; `make check`
// gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
#include "db/schema.hpp"
#include "sqlite.hpp"
#include "users/cookies.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A property that must hold whatever the input; abort so libFuzzer keeps
// the input that broke it.
void require(bool condition) {
  if (!condition) __builtin_trap();
}

disorder::Database& migrated(disorder::Database& db) {
  disorder::migrate_schema(db);
  return db;
}

struct Jar {
  disorder::Database db{":memory:"};
  disorder::CookieJar jar{migrated(db), std::string(disorder::CookieJar::kMasterBytes, 'k')};
  // The cookies the jar made, and for whom.
  std::vector<std::pair<std::string, std::string>> made;

  Jar() {
    // Two accounts, and one whose row has no binding (written by hand):
    // nothing may log in as "carol".
    db.exec("INSERT INTO users (name, password, rights, created, cookie_binding) VALUES "
            "('alice', x'00', 'read', 0, randomblob(16)), "
            "('bob', x'00', 'admin', 0, randomblob(16)), "
            "('carol', x'00', 'admin', 0, NULL)");
    using std::chrono::hours;
    for (const char* user : {"alice", "bob"})
      made.emplace_back(jar.make(user, hours(24), hours(24)), user);
    for (const auto& [cookie, user] : made)
      require(jar.check(cookie) == user);
  }

  const std::string* owner(std::string_view cookie) const {
    for (const auto& [c, user] : made)
      if (c == cookie) return &user;
    return nullptr;
  }

  std::int64_t revocations() {
    auto& st = db.cached("SELECT count(*) FROM revoked_cookies");
    st.step();
    std::int64_t n = st.column_int(0);
    st.reset();
    return n;
  }

  // Accepted only if it is one of ours, and then for its own user.
  void check(std::string_view cookie) {
    auto user = jar.check(cookie);
    if (!user) return;
    const std::string* expected = owner(cookie);
    require(expected && *user == *expected);
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Jar jar;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  jar.check(input);

  // The first three bytes say which valid cookie to splice the rest into,
  // where, and how many of its bytes the rest replaces.
  if (size >= 3) {
    const std::string& base = jar.made[data[0] % jar.made.size()].first;
    std::size_t pos = data[1] % (base.size() + 1);
    std::size_t cut = std::min<std::size_t>(data[2] % 8, base.size() - pos);
    std::string spliced = base.substr(0, pos);
    spliced += input.substr(3);
    spliced += base.substr(pos + cut);
    jar.check(spliced);
  }
  // Revoking what the jar did not make revokes nothing, so the jar's own
  // cookies keep working.
  if (!jar.owner(input)) jar.jar.revoke(input);
  require(jar.revocations() == 0);
  return 0;
}
