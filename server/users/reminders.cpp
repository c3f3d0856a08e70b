// Implementation of the reminder rate limit and the reminder's text.
#include "users/reminders.hpp"

namespace disorder {

bool ReminderLimiter::allow(const std::string& name, Clock::time_point now,
                            std::chrono::seconds interval) {
  // Entries older than the interval no longer limit anything: drop them so
  // that the map only holds recent reminders.
  std::erase_if(last_, [&](const auto& entry) { return now - entry.second >= interval; });
  auto it = last_.find(name);
  if (it != last_.end()) return false;
  last_.emplace(name, now);
  return true;
}

MailMessage reminder_mail(const std::string& name, const std::string& email,
                          const std::string& password, const std::string& url) {
  MailMessage m;
  m.to = email;
  m.subject = "Password reminder for the jukebox";
  m.body = "Someone asked for a reminder of the password of the jukebox user\n\n";
  m.body += "  " + name + "\n\n";
  m.body += "and this is the address it has.  If it was not you, you can ignore\n"
            "this message: nothing has changed.\n\n"
            "The password is:\n\n";
  m.body += "  " + password + "\n\n";
  if (!url.empty()) m.body += "The jukebox is at " + url + "\n\n";
  m.body += "You can change it once logged in (disorder edituser " + name +
            " password NEW,\nor the web interface's Account page).\n";
  return m;
}

} // namespace disorder
