// Implementation of the SQLite wrapper.
#include "sqlite.hpp"

#include <sqlite3.h>
#include <system_error>
#include <utility>

namespace disorder {

namespace {

constexpr const char* kWriting = "cannot write the database";
constexpr const char* kReading = "cannot read the database";

// Why the last call on db failed: SQLite's message, and the system's
// reason when the file system refused ("database or disk is full (No space
// left on device)", "disk I/O error (Read-only file system)").
std::string cause(sqlite3* db) {
  if (!db) return "out of memory";
  std::string msg = sqlite3_errmsg(db);
  switch (sqlite3_extended_errcode(db) & 0xff) {
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
    if (int sys = sqlite3_system_errno(db))
      msg += " (" + std::generic_category().message(sys) + ")";
    break;
  default:
    break;
  }
  return msg;
}

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw DatabaseError(what + ": " + cause(db), db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
}

void exec_or_fail(sqlite3* db, const std::string& sql, const std::string& what) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, what);
}

} // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK)
    fail(db, "preparing '" + std::string(sql) + "'");
}

Statement::Statement(Statement&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(o.db_, nullptr);
    stmt_ = std::exchange(o.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message and code stay readable on db_ after the reset.
  const bool writes = !sqlite3_stmt_readonly(stmt_);
  sqlite3_reset(stmt_);
  fail(db_, writes ? kWriting : kReading);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string Statement::column_text(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Database::Database(const std::string& path, std::chrono::milliseconds busy_timeout) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw DatabaseError("opening database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
}

Database::Database(const std::string& path, ReadOnly, std::chrono::milliseconds busy_timeout)
    : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = cause(db_);
    sqlite3_close(db_);
    throw DatabaseError("opening database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
}

Database::~Database() {
  cache_.clear();
  sqlite3_close(db_);
}

void Database::exec(std::string_view sql) {
  std::string s(sql);
  exec_or_fail(db_, s, "executing '" + s + "'");
}

void Database::begin() {
  exec_or_fail(db_, "BEGIN IMMEDIATE", kWriting);
}

void Database::commit() {
  exec_or_fail(db_, "COMMIT", kWriting);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

void Database::rollback() noexcept {
  // After SQLITE_FULL, SQLITE_IOERR and the like SQLite has already rolled
  // back, and a ROLLBACK would only fail with "no transaction is active".
  if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Statement& Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
  it->second->reset();
  return *it->second;
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}
std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::user_version() {
  auto& st = cached("PRAGMA user_version");
  st.step();
  int v = static_cast<int>(st.column_int(0));
  st.reset();
  return v;
}

void Database::set_user_version(int v) {
  exec("PRAGMA user_version=" + std::to_string(v));
}

} // namespace disorder
