// Thin RAII layer over SQLite: a connection, prepared statements (cached per
// SQL text), transactions.  All persistent state of disorder lives in one
// SQLite database per server home.
#pragma once

#include "error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace disorder {

// A failed SQLite call.  what() says what failed and why, in words fit for
// a client's error reply: a failed write is "cannot write the database:
// CAUSE", where CAUSE is SQLite's own message ("database or disk is full",
// "attempt to write a readonly database", "database is locked", "disk I/O
// error"), followed by the system's reason when there is one.
class DatabaseError : public Error {
public:
  explicit DatabaseError(const std::string& what, int code = 0) : Error(what), code_(code) {}
  // SQLite's extended result code; 0 when the error did not come from SQLite.
  int code() const noexcept { return code_; }

private:
  int code_;
};

// One prepared statement.  Bind parameters are 1-based as in SQLite.
// Not thread-safe; belongs to the Database that made it.
class Statement {
public:
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, std::nullptr_t);
  Statement& bind_blob(int index, std::string_view bytes);
  template <typename... Args> Statement& bind_all(Args&&... args) {
    int i = 0;
    (bind(++i, std::forward<Args>(args)), ...);
    return *this;
  }

  // Advance; true when a row is available.  Throws DatabaseError.
  bool step();
  // Step to completion (for statements that return no rows).
  void run();
  void reset();

  std::int64_t column_int(int col) const;
  std::string column_text(int col) const;
  bool column_is_null(int col) const;

private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
  // Opens (creating if needed) the file, in WAL mode with a busy timeout so
  // that helper processes (the rescanner) can share it.  A file that cannot
  // be written is opened read-only: reads work, every write fails.
  explicit Database(const std::string& path,
                    std::chrono::milliseconds busy_timeout = std::chrono::seconds(10));
  // Opens an existing file read-only and leaves its journal mode alone: for
  // a program that only looks at a server's database (disorderd
  // --wait-for-root).  Throws DatabaseError if the file does not exist.
  struct ReadOnly {};
  Database(const std::string& path, ReadOnly,
           std::chrono::milliseconds busy_timeout = std::chrono::seconds(1));
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  void exec(std::string_view sql);
  // A statement prepared once and reused; returned reset, bindings cleared.
  // The reference stays valid for the life of the Database.
  Statement& cached(const std::string& sql);
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  int user_version();
  void set_user_version(int v);
  const std::string& path() const { return path_; }

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT and returns what it returns.
  // If fn throws or the commit fails, the transaction is rolled back and
  // that first error propagates: the database is as it was before.  (SQLite
  // rolls back by itself after some errors, such as a full disk or an I/O
  // error, so rollback() only undoes what is still open, and its own
  // failure never hides the cause.)  Callers that keep a copy of the data
  // in memory change it only once this has returned.  Not reentrant: fn
  // must not start another transaction.
  template <typename F> auto transaction(F&& fn) {
    begin();
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        fn();
        commit();
      } else {
        auto r = fn();
        commit();
        return r;
      }
    } catch (...) {
      rollback();
      throw;
    }
  }
  // True between BEGIN and the end of the transaction (COMMIT, ROLLBACK, or
  // SQLite's own rollback after an error).
  bool in_transaction() const;
  // Rolls back the open transaction, if there is one.  Never throws: it is
  // called on the way out of an error, which is the one worth reporting.
  void rollback() noexcept;

private:
  void begin();
  void commit();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

} // namespace disorder
