// Reads tags on worker threads.  Reading a file's headers is most of the
// work of a cold scan, and a file on a slow disk blocks in read(2), so a few
// threads read while the main thread walks directories and writes the
// database (which only it touches).  Only new and changed files come here:
// an unchanged rescan never starts a read.
#pragma once

#include "crash_guard.hpp"
#include "track_reader.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace disorder {

// One file to read, and what reading it found.  Recycled from file to file
// so that its strings keep their buffers.
struct ReadJob {
  // Filled by the submitter.
  std::string path;         // the file's path bytes
  std::string name;         // its track name
  std::size_t dir_size = 0; // name.substr(0, dir_size) is its directory's name
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool path_is_name = true;
  std::int64_t known_id = 0; // the track's id if it is already known, else 0
  // Filled by the reader.
  ReadStatus status = ReadStatus::ok;
  bool crashed_before = false; // not read: it crashed an earlier rescan
  TrackData data;
  std::string error;
};

// The member functions are for one thread, the one that submits; the
// reader threads only run().
class ReadPool {
public:
  // Starts `threads` reader threads (at least one).
  ReadPool(CrashGuard& guard, unsigned threads);
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;
  // Stops the threads once they finish the file in hand; queued jobs are
  // dropped.
  ~ReadPool();

  // An empty job to fill and submit.
  std::unique_ptr<ReadJob> job();
  void submit(std::unique_ptr<ReadJob> job);
  // Moves finished jobs to out, in the order they finished.  Waits up to
  // timeout for the first one when none has finished yet.
  void take_finished(std::vector<std::unique_ptr<ReadJob>>& out, std::chrono::milliseconds timeout);
  void recycle(std::unique_ptr<ReadJob> job);
  // Submitted and not yet taken back.
  std::size_t in_flight() const { return in_flight_; }

private:
  void run();

  CrashGuard& guard_;
  std::mutex mutex_;
  std::condition_variable work_ready_, work_done_;
  std::deque<std::unique_ptr<ReadJob>> queue_, finished_;
  std::vector<std::unique_ptr<ReadJob>> spare_; // only the submitting thread uses it
  std::size_t in_flight_ = 0;                   // likewise
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace disorder
