// Batched BEGIN IMMEDIATE / COMMIT.
#include "batch_transaction.hpp"

namespace disorder {

BatchTransaction::BatchTransaction(Database& db, Limits limits) : db_(db), limits_(limits) {}

BatchTransaction::~BatchTransaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const DatabaseError&) {
    // SQLite may already have rolled back after the error that brought us
    // here; nothing more to undo.
  }
}

void BatchTransaction::before_write() {
  if (open_) return;
  db_.exec("BEGIN IMMEDIATE");
  open_ = true;
  writes_ = 0;
  opened_ = std::chrono::steady_clock::now();
}

void BatchTransaction::after_write() {
  ++writes_;
  if (writes_ >= limits_.writes || std::chrono::steady_clock::now() - opened_ >= limits_.age)
    commit();
}

void BatchTransaction::commit_if_old() {
  if (open_ && std::chrono::steady_clock::now() - opened_ >= limits_.age) commit();
}

void BatchTransaction::commit() {
  if (!open_) return;
  if (before_commit_) before_commit_();
  db_.exec("COMMIT");
  open_ = false;
}

} // namespace disorder
