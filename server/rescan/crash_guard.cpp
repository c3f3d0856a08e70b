// Fatal-signal handlers that record the file being read.
#include "crash_guard.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace disorder {

namespace {

constexpr std::array<int, 5> kFatalSignals{SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

// An alternate signal stack, so that a stack overflow inside TagLib still
// runs the handler.  Generous: the handler itself needs little.
constexpr size_t kAltStackSize = 64 * 1024;

// The only process-wide state of the rescanner, because a signal handler can
// reach nothing else.  Owned by the one live CrashGuard.
struct HandlerState {
  const char* list_path = nullptr;
  std::array<struct sigaction, kFatalSignals.size()> previous{};
  bool installed = false;
};
HandlerState handler_state;

// What one thread is reading, published to the handler (record is null when
// it reads nothing), and that thread's alternate signal stack (signal stacks
// are per thread).  thread_local in the executable itself is static TLS,
// which a signal handler may read.
struct ThreadRecord {
  std::string buffer; // reused from file to file
  volatile const char* record = nullptr;
  volatile size_t size = 0;
  std::unique_ptr<char[]> alt_stack;

  ~ThreadRecord() {
    if (!alt_stack) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    ::sigaltstack(&off, nullptr);
  }
  void ensure_alt_stack() {
    if (alt_stack) return;
    auto stack = std::make_unique<char[]>(kAltStackSize);
    stack_t alt{};
    alt.ss_sp = stack.get();
    alt.ss_size = kAltStackSize;
    if (::sigaltstack(&alt, nullptr) == 0) alt_stack = std::move(stack);
  }
};
thread_local ThreadRecord thread_record;

// Async-signal-safe: open, write, close, raise only.
void on_fatal_signal(int sig) {
  const char* record = const_cast<const char*>(thread_record.record);
  size_t size = thread_record.size;
  if (record && handler_state.list_path) {
    int fd = ::open(handler_state.list_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      while (size > 0) {
        ssize_t n = ::write(fd, record, size);
        if (n <= 0) break;
        record += n;
        size -= static_cast<size_t>(n);
      }
      ::close(fd);
    }
  }
  // SA_RESETHAND restored the default action: die of the same signal, so the
  // parent sees what happened (and a core dump is still possible).
  ::raise(sig);
}

} // namespace

std::string CrashGuard::format_entry(std::string_view path, std::int64_t size,
                                     std::int64_t mtime_ns) {
  std::string entry = std::to_string(size) + " " + std::to_string(mtime_ns) + " ";
  entry.append(path);
  entry += '\0';
  return entry;
}

CrashGuard::CrashGuard(std::string list_path) : list_path_(std::move(list_path)) {
  assert(!handler_state.installed);
  Fd fd(::open(list_path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) {
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
      text.append(buf, static_cast<size_t>(n));
    if (n < 0) throw_errno("reading " + list_path_);
    size_t start = 0;
    for (size_t nul; (nul = text.find('\0', start)) != std::string::npos; start = nul + 1)
      crashed_.insert(text.substr(start, nul - start));
  } else if (errno != ENOENT) {
    throw_errno("opening " + list_path_);
  }

  handler_state.list_path = list_path_.c_str();
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
  for (size_t i = 0; i < kFatalSignals.size(); ++i)
    ::sigaction(kFatalSignals[i], &sa, &handler_state.previous[i]);
  handler_state.installed = true;
}

CrashGuard::~CrashGuard() {
  for (size_t i = 0; i < kFatalSignals.size(); ++i)
    ::sigaction(kFatalSignals[i], &handler_state.previous[i], nullptr);
  handler_state.list_path = nullptr;
  handler_state.installed = false;
}

bool CrashGuard::crashed_before(std::string_view path, std::int64_t size,
                                std::int64_t mtime_ns) const {
  if (crashed_.empty()) return false;
  std::string entry = format_entry(path, size, mtime_ns);
  entry.pop_back(); // the NUL
  return crashed_.count(entry) != 0;
}

CrashGuard::Reading::Reading(CrashGuard&, std::string_view path, std::int64_t size,
                             std::int64_t mtime_ns) {
  ThreadRecord& t = thread_record;
  t.ensure_alt_stack();
  std::string& r = t.buffer;
  r.clear();
  r += std::to_string(size);
  r += ' ';
  r += std::to_string(mtime_ns);
  r += ' ';
  r.append(path);
  r += '\0';
  t.size = r.size();
  std::atomic_signal_fence(std::memory_order_release); // the handler sees a whole entry
  t.record = r.data();
}

CrashGuard::Reading::~Reading() {
  thread_record.record = nullptr;
  std::atomic_signal_fence(std::memory_order_release);
}

} // namespace disorder
