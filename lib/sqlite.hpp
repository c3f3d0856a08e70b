// Thin RAII layer over SQLite: a connection, prepared statements (cached per
// SQL text), transactions.  All persistent state of disorder lives in one
// SQLite database per server home.
#pragma once

#include "error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace disorder {

class DatabaseError : public Error {
public:
  using Error::Error;
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
  // that helper processes (the rescanner) can share it.
  explicit Database(const std::string& path);
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

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back if fn throws.
  template <typename F> auto transaction(F&& fn) {
    exec("BEGIN IMMEDIATE");
    try {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        exec("COMMIT");
      } else {
        auto r = fn();
        exec("COMMIT");
        return r;
      }
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }

private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

} // namespace disorder
