// Logging for the daemons: to stderr (foreground) or syslog.  The sink is
// chosen once by main() before anything else runs; it is the one piece of
// process-wide state, because every layer logs.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace disorder {

enum class LogSink { stderr_sink, syslog_sink };

// The least important messages that are written; each level includes the
// ones before it.
enum class LogLevel { error, warning, info, debug };

// "error", "warning", "info" or "debug"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);

// Chosen by main(); `program` prefixes stderr lines and names syslog entries.
// When syslog is asked for but nothing listens on its socket (/dev/log:
// syslog(3) would drop every message without a word), one warning goes to
// stderr and the messages follow it there: log_sink() then says stderr.
void log_setup(const char* program, LogSink sink, LogLevel level);
// The same with level info, or debug when `debug` is set.
void log_setup(const char* program, LogSink sink, bool debug);
// Where messages go now (after any fall-back from syslog).
LogSink log_sink();
bool log_debug_enabled();

void log_error(std::string_view msg);
void log_warning(std::string_view msg);
void log_info(std::string_view msg);
// Only emitted at level debug (--debug).
void log_debug(std::string_view msg);

// For an event that can repeat as fast as the loop turns (accept() failing
// while the process is out of descriptors): logs at most one warning per
// interval, counts the ones it holds back and says how many with the next.
class LogLimiter {
public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  void warning(std::string_view msg);

private:
  std::chrono::steady_clock::duration interval_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  unsigned long held_back_ = 0;
};

} // namespace disorder
