// Event fan-out to `log` connections.
#include "event_log.hpp"

#include "split.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace disorder {

void EventLog::subscribe(EventSubscriber* s) {
  subscribers_.push_back(s);
}

void EventLog::unsubscribe(EventSubscriber* s) {
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), s), subscribers_.end());
}

std::string EventLog::format(std::string_view keyword,
                             std::initializer_list<std::string_view> fields) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%llx", static_cast<unsigned long long>(wall_seconds()));
  std::string line = stamp;
  line += ' ';
  line += keyword;
  for (auto f : fields)
    append_field(line, f);
  // A line can only start with '.' if it were empty before the stamp, which
  // it never is; so no dot-stuffing is needed.
  line += '\n';
  return line;
}

template <typename Wants> void EventLog::deliver_if(const std::string& line, Wants wants) {
  // Copy: a delivery may drop a subscriber that fell behind.
  auto targets = subscribers_;
  for (auto* s : targets)
    if (wants(*s)) s->deliver(line);
}

void EventLog::emit_formatted(std::string_view keyword, std::string_view quoted_fields,
                              Audience audience) {
  if (subscribers_.empty()) return;
  std::string line = format(keyword, {});
  line.insert(line.size() - 1, " " + std::string(quoted_fields));
  deliver_if(line, [audience](const EventSubscriber& s) { return s.may_receive(audience); });
}

void EventLog::emit(std::string_view keyword, std::initializer_list<std::string_view> fields,
                    Audience audience) {
  if (subscribers_.empty()) return;
  deliver_if(format(keyword, fields),
             [audience](const EventSubscriber& s) { return s.may_receive(audience); });
}

void EventLog::emit_private(std::string_view user, std::string_view keyword,
                            std::initializer_list<std::string_view> fields) {
  if (subscribers_.empty()) return;
  deliver_if(format(keyword, fields), [user](const EventSubscriber& s) { return s.is_user(user); });
}

} // namespace disorder
