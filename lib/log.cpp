// Implementation of the log sinks.
#include "log.hpp"

#include "fd.hpp"
#include "unicode.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

namespace disorder {

namespace {
struct LogState {
  const char* program = "disorder";
  LogSink sink = LogSink::stderr_sink;
  LogLevel level = LogLevel::info;
};
LogState state;

// The longest message logged whole; the rest is cut (and counted).
constexpr std::size_t kMaxMessage = 4096;

// Where syslog(3) sends messages (glibc's _PATH_LOG).
constexpr char kSyslogSocket[] = "/dev/log";

void emit(int priority, const char* label, std::string_view raw) {
  // Messages carry names and text from clients and files: one message is
  // one line, whatever they contain, and never a flood.
  const std::string msg = one_line(raw, kMaxMessage);
  if (state.sink == LogSink::syslog_sink) {
    syslog(priority, "%s%.*s", label, static_cast<int>(msg.size()), msg.data());
  } else {
    std::string line = std::string(state.program) + ": " + label;
    line.append(msg);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

// Why syslog(3) could not deliver a message now, or "" if something listens
// on its socket.  syslog(3) itself says nothing when it cannot connect: it
// drops the message (or writes it to the console with LOG_CONS).  glibc
// tries a datagram socket, then a stream one.
std::string syslog_unreachable() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, kSyslogSocket, sizeof kSyslogSocket);
  int error = 0;
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    Fd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    if (!fd) {
      error = errno;
      continue;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return "";
    error = errno;
  }
  return std::string(kSyslogSocket) + ": " + std::strerror(error);
}
} // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "error") return LogLevel::error;
  if (name == "warning") return LogLevel::warning;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

void log_setup(const char* program, LogSink sink, LogLevel level) {
  state.program = program;
  state.sink = sink;
  state.level = level;
  if (sink != LogSink::syslog_sink) return;
  if (const std::string why = syslog_unreachable(); !why.empty()) {
    state.sink = LogSink::stderr_sink;
    // Whatever the level: it says where every other message goes.
    emit(LOG_WARNING,
         "WARNING: ", "cannot log to syslog (" + why + "): logging to standard error instead");
    return;
  }
  openlog(program, LOG_PID, LOG_DAEMON);
}

void log_setup(const char* program, LogSink sink, bool debug) {
  log_setup(program, sink, debug ? LogLevel::debug : LogLevel::info);
}

LogSink log_sink() {
  return state.sink;
}

bool log_debug_enabled() {
  return state.level >= LogLevel::debug;
}
void log_error(std::string_view msg) {
  emit(LOG_ERR, "ERROR: ", msg);
}
void log_warning(std::string_view msg) {
  if (state.level >= LogLevel::warning) emit(LOG_WARNING, "WARNING: ", msg);
}
void log_info(std::string_view msg) {
  if (state.level >= LogLevel::info) emit(LOG_INFO, "", msg);
}
void log_debug(std::string_view msg) {
  if (state.level >= LogLevel::debug) emit(LOG_DEBUG, "DEBUG: ", msg);
}

void LogLimiter::warning(std::string_view msg) {
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - *last_ < interval_) {
    ++held_back_;
    return;
  }
  last_ = now;
  std::string line(msg);
  if (held_back_) {
    line += " (and " + std::to_string(held_back_) + " more like it since the last report)";
    held_back_ = 0;
  }
  log_warning(line);
}

} // namespace disorder
