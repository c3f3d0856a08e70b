// The SQLite wrapper's transactions when writes fail: the database is left
// as it was, the connection is out of the transaction, and the error that
// propagates is the real cause (a full database, a read-only one, a lock
// held by another connection), not a failed ROLLBACK.
#include "sqlite.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <sqlite3.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace {

using disorder::Database;
using disorder::DatabaseError;

class Scratch {
public:
  Scratch() {
    char dir[] = "/tmp/sqlite-test-XXXXXX";
    dir_ = ::mkdtemp(dir);
    db_ = std::make_unique<Database>(path());
    db_->exec("CREATE TABLE t (v TEXT)");
    db_->cached("INSERT INTO t (v) VALUES ('before')").run();
  }
  ~Scratch() {
    db_.reset();
    const std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  std::string path() const { return dir_ + "/db"; }
  Database& db() { return *db_; }
  // Every value of t, in order, comma-separated.
  std::string values() {
    auto& st = db_->cached("SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY rowid)");
    st.step();
    std::string v = st.column_text(0);
    st.reset();
    return v;
  }

private:
  std::string dir_;
  std::unique_ptr<Database> db_;
};

// The message of the DatabaseError that fn throws.
template <typename F> std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const DatabaseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no DatabaseError";
  return "";
}

TEST(Sqlite, TransactionCommitsOrRollsBackWhatFnDid) {
  Scratch s;
  s.db().transaction([&] { s.db().cached("INSERT INTO t (v) VALUES ('a')").run(); });
  EXPECT_THROW(s.db().transaction([&] {
    s.db().cached("INSERT INTO t (v) VALUES ('b')").run();
    throw std::runtime_error("changed my mind");
  }),
               std::runtime_error);
  EXPECT_FALSE(s.db().in_transaction());
  EXPECT_EQ(s.values(), "before,a");
  EXPECT_EQ(s.db().transaction([] { return 42; }), 42);
}

// SQLite rolls the whole transaction back by itself when the database is
// full; the error must still be the full database.
TEST(Sqlite, AFullDatabaseIsReportedAsSuchAndChangesNothing) {
  Scratch s;
  auto& st = s.db().cached("PRAGMA page_count");
  st.step();
  const auto pages = st.column_int(0);
  st.reset();
  s.db().exec("PRAGMA max_page_count = " + std::to_string(pages));
  const std::string big(100000, 'x');
  std::string what = error_of([&] {
    s.db().transaction([&] {
      s.db().cached("INSERT INTO t (v) VALUES ('small')").run();
      s.db().cached("INSERT INTO t (v) VALUES (?)").bind(1, big).run();
    });
  });
  EXPECT_EQ(what, "cannot write the database: database or disk is full");
  EXPECT_FALSE(s.db().in_transaction());
  EXPECT_EQ(s.values(), "before");
  // With room again, the same write works.
  s.db().exec("PRAGMA max_page_count = 1000000");
  s.db().transaction([&] { s.db().cached("INSERT INTO t (v) VALUES (?)").bind(1, big).run(); });
  EXPECT_EQ(s.values(), "before," + big);
}

// Here SQLite leaves the transaction open: it is rolled back.
TEST(Sqlite, AReadOnlyDatabaseIsReportedAsSuchAndChangesNothing) {
  Scratch s;
  s.db().exec("PRAGMA query_only = 1");
  std::string what = error_of(
      [&] { s.db().transaction([&] { s.db().cached("INSERT INTO t (v) VALUES ('a')").run(); }); });
  EXPECT_EQ(what, "cannot write the database: attempt to write a readonly database");
  EXPECT_FALSE(s.db().in_transaction());
  s.db().exec("PRAGMA query_only = 0");
  EXPECT_EQ(s.values(), "before");
}

TEST(Sqlite, ALockHeldTooLongIsReportedAndChangesNothing) {
  Scratch s;
  Database other(s.path(), std::chrono::milliseconds(50));
  s.db().exec("BEGIN IMMEDIATE");
  try {
    std::string what = error_of(
        [&] { other.transaction([&] { other.cached("INSERT INTO t (v) VALUES ('a')").run(); }); });
    EXPECT_EQ(what, "cannot write the database: database is locked");
    EXPECT_FALSE(other.in_transaction());
  } catch (...) {
    s.db().rollback();
    throw;
  }
  s.db().exec("COMMIT");
  other.transaction([&] { other.cached("INSERT INTO t (v) VALUES ('a')").run(); });
  EXPECT_EQ(s.values(), "before,a");
}

TEST(Sqlite, ErrorsCarrySqlitesCode) {
  Scratch s;
  s.db().exec("PRAGMA query_only = 1");
  try {
    s.db().cached("INSERT INTO t (v) VALUES ('a')").run();
    FAIL() << "no DatabaseError";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.code() & 0xff, SQLITE_READONLY);
  }
}

} // namespace
