// Password reminders (the `reminder` command): how often a user may be sent
// one, and what the mail says.
#pragma once

#include "mail.hpp"

#include <chrono>
#include <map>
#include <string>

namespace disorder {

// At most one reminder per user per reminder_interval.  Kept in memory: a
// restart forgets it, which costs at most one extra mail per user.  Only
// users a reminder actually went to are recorded, so it holds at most one
// entry per user with an email address.
class ReminderLimiter {
public:
  using Clock = std::chrono::steady_clock;
  // True, and `now` recorded as name's last reminder, when name has had none
  // within interval before now.
  bool allow(const std::string& name, Clock::time_point now, std::chrono::seconds interval);

private:
  std::map<std::string, Clock::time_point> last_;
};

// The reminder for user `name` at `email`.  url (the web interface's
// address, config item url) is mentioned when set.
MailMessage reminder_mail(const std::string& name, const std::string& email,
                          const std::string& password, const std::string& url);

} // namespace disorder
