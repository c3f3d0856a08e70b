// Survives files that crash the tag reader.  TagLib is C++ parsing hostile
// input in our process; if one file makes it crash, the rescan dies.  The
// batches already committed are kept, but a plain restart would crash on the
// same file again and never finish.  So while a file is being read, a fatal
// signal appends that file (its path, size and mtime) to a list file before
// the process dies, and the next rescan reads that list and does not give
// those files to TagLib again (until they change).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

namespace disorder {

class CrashGuard {
public:
  // Reads the list at list_path (absent is fine) and installs the handlers
  // for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT.  At most one CrashGuard
  // may exist at a time: signal handlers are process-wide.  Throws
  // SystemError when the list exists but cannot be read.
  explicit CrashGuard(std::string list_path);
  CrashGuard(const CrashGuard&) = delete;
  CrashGuard& operator=(const CrashGuard&) = delete;
  // Restores the previous handlers.
  ~CrashGuard();

  // True when an earlier run crashed reading this file as it is now.
  bool crashed_before(std::string_view path, std::int64_t size, std::int64_t mtime_ns) const;

  // Marks the file the calling thread is reading, for as long as it lives.
  // Each thread has its own mark: a fault is handled on the thread that
  // caused it.
  class Reading {
  public:
    Reading(CrashGuard& guard, std::string_view path, std::int64_t size, std::int64_t mtime_ns);
    Reading(const Reading&) = delete;
    Reading& operator=(const Reading&) = delete;
    ~Reading();
  };

  // One entry of the list: "SIZE MTIME PATH" and a NUL (a path may hold
  // newlines, never a NUL).
  static std::string format_entry(std::string_view path, std::int64_t size, std::int64_t mtime_ns);

private:
  std::string list_path_;
  std::unordered_set<std::string> crashed_; // entries without the NUL
};

} // namespace disorder
