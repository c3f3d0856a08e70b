// Implementation of the log sinks.
#include "log.hpp"

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

void emit(int priority, const char* label, std::string_view msg) {
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

} // namespace disorder
