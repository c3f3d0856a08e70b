// Implementation of the log sinks.
#include "log.hpp"

#include "unicode.hpp"

#include <cstdio>
#include <string>
#include <syslog.h>

namespace disorder {

namespace {
struct LogState {
  const char* program = "disorder";
  LogSink sink = LogSink::stderr_sink;
  bool debug = false;
};
LogState state;

// The longest message logged whole; the rest is cut (and counted).
constexpr std::size_t kMaxMessage = 4096;

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
} // namespace

void log_setup(const char* program, LogSink sink, bool debug) {
  state.program = program;
  state.sink = sink;
  state.debug = debug;
  if (sink == LogSink::syslog_sink) openlog(program, LOG_PID, LOG_DAEMON);
}

bool log_debug_enabled() {
  return state.debug;
}
void log_error(std::string_view msg) {
  emit(LOG_ERR, "ERROR: ", msg);
}
void log_warning(std::string_view msg) {
  emit(LOG_WARNING, "WARNING: ", msg);
}
void log_info(std::string_view msg) {
  emit(LOG_INFO, "", msg);
}
void log_debug(std::string_view msg) {
  if (state.debug) emit(LOG_DEBUG, "DEBUG: ", msg);
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
