// Groups the rescanner's writes into short transactions.  The server reads
// and writes the same database while a rescan runs (WAL mode): one
// transaction per track would make a cold scan crawl, one for the whole scan
// would hold the write lock for minutes and lose everything on a crash.  So a
// batch is committed once it holds enough writes or has been open long
// enough, whichever comes first.
#pragma once

#include "sqlite.hpp"

#include <chrono>
#include <cstddef>
#include <functional>

namespace disorder {

class BatchTransaction {
public:
  struct Limits {
    std::size_t writes = 256;
    // The server's own writes wait for the lock this long at most.
    std::chrono::milliseconds age{200};
  };

  BatchTransaction(Database& db, Limits limits);
  BatchTransaction(Database& db) : BatchTransaction(db, Limits{}) {}
  BatchTransaction(const BatchTransaction&) = delete;
  BatchTransaction& operator=(const BatchTransaction&) = delete;
  // Rolls back an open batch: only reached without commit() when an
  // exception is on its way out, and then the batch is suspect.
  ~BatchTransaction();

  // Before each write: opens a batch (BEGIN IMMEDIATE) if none is open.
  void before_write();
  // After each write: counts it, and commits when a limit is reached.
  void after_write();
  // Commits the open batch, if any.  Throws DatabaseError.
  void commit();
  // Commits if the batch is past its age limit; called before slow work (a
  // file read) so that the lock is not held across it longer than allowed.
  void commit_if_old();

  bool open() const { return open_; }

  // Runs fn inside each batch just before it commits (nothing, to forget
  // it).  For writes that are cheaper done all together at the end of a
  // batch.
  void before_commit(std::function<void()> fn) { before_commit_ = std::move(fn); }

private:
  Database& db_;
  Limits limits_;
  bool open_ = false;
  std::size_t writes_ = 0;
  std::chrono::steady_clock::time_point opened_;
  std::function<void()> before_commit_;
};

} // namespace disorder
