// Logging for the daemons: to stderr (foreground) or syslog.  The sink is
// chosen once by main() before anything else runs; it is the one piece of
// process-wide state, because every layer logs.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace disorder {

enum class LogSink { stderr_sink, syslog_sink };

// Chosen by main(); `program` prefixes stderr lines and names syslog entries.
void log_setup(const char* program, LogSink sink, bool debug);
bool log_debug_enabled();

void log_error(std::string_view msg);
void log_warning(std::string_view msg);
void log_info(std::string_view msg);
// Only emitted with --debug.
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
