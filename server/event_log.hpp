// The event log of disorder_protocol(5): connections that ran `log` receive
// one line per event, "HEXTIME KEYWORD FIELDS...".  This class fans events
// out to the subscribed connections; it never blocks (connections buffer and
// drop a reader that falls too far behind).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// Who may see an event.  user_* events go only to admins on local
// connections (or any connection when remote_userman is set).
enum class Audience { everyone, user_admins };

class EventSubscriber {
public:
  virtual ~EventSubscriber() = default;
  virtual bool may_receive(Audience audience) const = 0;
  // Logged in as `user` (for the events of a private playlist, which only
  // its owner may read).
  virtual bool is_user(std::string_view user) const = 0;
  // line includes the trailing newline and is already dot-stuffed.
  virtual void deliver(const std::string& line) = 0;
};

class EventLog {
public:
  void subscribe(EventSubscriber* s);
  void unsubscribe(EventSubscriber* s);
  void emit(std::string_view keyword, std::initializer_list<std::string_view> fields,
            Audience audience = Audience::everyone);
  // Only to connections logged in as `user`.
  void emit_private(std::string_view user, std::string_view keyword,
                    std::initializer_list<std::string_view> fields);
  // For events whose fields are already quoted (track information).
  void emit_formatted(std::string_view keyword, std::string_view quoted_fields,
                      Audience audience = Audience::everyone);
  // The line as a subscriber would receive it (for the initial state lines).
  static std::string format(std::string_view keyword,
                            std::initializer_list<std::string_view> fields);

private:
  template <typename Wants> void deliver_if(const std::string& line, Wants wants);

  std::vector<EventSubscriber*> subscribers_;
};

} // namespace disorder
