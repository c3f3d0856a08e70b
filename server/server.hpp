// disorderd's control plane: composes the configuration, the database and
// its stores, the event log, the listening sockets and the connections, and
// runs them on one libevent loop.  Nothing here blocks the loop.
#pragma once

#include "config.hpp"
#include "event_log.hpp"
#include "event_loop.hpp"
#include "global_prefs.hpp"
#include "input_budget.hpp"
#include "log.hpp"
#include "playlists.hpp"
#include "queue/playback.hpp"
#include "rescanner.hpp"
#include "rtp_listener_reports.hpp"
#include "rtp_requests.hpp"
#include "schedule.hpp"
#include "sqlite.hpp"
#include "subprocess.hpp"
#include "track_db.hpp"
#include "track_prefs.hpp"
#include "users/cookies.hpp"
#include "users/password_vault.hpp"
#include "users/reminders.hpp"
#include "users/user_store.hpp"

#include <list>
#include <memory>
#include <string>

namespace disorder {

class Connection;

class Server {
public:
  // What all client connections together may buffer of their input.
  static constexpr std::size_t kInputBudget = 32 << 20;

  // Opens (creating) home, the database and the sockets.  Throws on failure.
  Server(ConfigPaths paths, std::unique_ptr<Config> config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Runs until shutdown.
  void run();

  const Config& config() const { return *config_; }
  EventLoop& loop() { return loop_; }
  Database& db() { return db_; }
  UserStore& users() { return users_; }
  CookieJar& cookies() { return cookies_; }
  GlobalPrefs& globals() { return globals_; }
  EventLog& events() { return events_; }
  ChildReaper& reaper() { return reaper_; }
  Rescanner& rescanner() { return rescanner_; }
  Playback& playback() { return playback_; }
  RtpRequests& rtp_requests() { return rtp_requests_; }
  RtpListenerReports& rtp_listener_reports() { return rtp_listener_reports_; }
  TrackDb& tracks() { return tracks_; }
  TrackPrefs& track_prefs() { return track_prefs_; }
  Playlists& playlists() { return playlists_; }
  Schedule& schedule() { return schedule_; }
  ReminderLimiter& reminders() { return reminders_; }
  const ConfigPaths& config_paths() const { return paths_; }
  InputBudget& input_budget() { return input_budget_; }
  // At most this many client connections at once: max_connections, or
  // fewer when the descriptor limit would not allow that many.
  std::size_t connection_limit() const { return connection_limit_; }

  // Re-reads the configuration.  Returns "" on success, else why the new
  // configuration was refused (the old one stays in force).
  std::string reconfigure();
  // Stops accepting, lets queued replies go out, then stops the loop.
  void request_shutdown();
  // Called when a user's rights change or the user is deleted, so that
  // their open connections follow.
  void user_changed(const std::string& name);
  // The user's password changed or the user is gone: the connections that
  // logged in with a cookie (which no longer works) end, after the reply
  // they are owed, as a new login with that cookie would be refused.
  void end_cookie_logins(const std::string& name);
  // Lines describing the current state, sent at the start of every `log`.
  std::vector<std::string> state_lines();
  // Sets the "playing"/"random-play" global and emits the state event.
  void set_flag(std::string_view pref, bool on);

  void connection_closed(Connection* conn);

private:
  void open_listeners();
  void accept(Fd fd, int transport);
  void set_connection_limit();
  void ensure_root_user();

  ConfigPaths paths_;
  std::unique_ptr<Config> config_;
  Fd lock_; // held for the life of the server: one server per home
  EventLoop loop_;
  Database db_;
  // Members below may read the database as they are built: migrate first.
  bool schema_ready_;
  PasswordVault vault_;
  UserStore users_;
  CookieJar cookies_;
  GlobalPrefs globals_;
  TrackDb tracks_;
  TrackPrefs track_prefs_;
  Playlists playlists_{db_};
  EventLog events_;
  ChildReaper reaper_{loop_};
  Rescanner rescanner_{*this};
  Playback playback_{*this};
  RtpRequests rtp_requests_{playback_};
  RtpListenerReports rtp_listener_reports_;
  Schedule schedule_{db_, loop_};
  ReminderLimiter reminders_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::size_t connection_limit_ = 0;
  InputBudget input_budget_{kInputBudget};
  LogLimiter accept_failures_{std::chrono::seconds(10)};
  LogLimiter refusals_{std::chrono::seconds(10)};
  std::unique_ptr<Event> sighup_, sigterm_, sigint_, housekeeping_;
  bool shutting_down_ = false;
};

} // namespace disorder
