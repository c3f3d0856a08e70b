// Browser sessions: each is a login to disorderd that disorder-web holds on
// a browser's behalf, keyed by the disorderd cookie the browser carries (or
// the guest user's shared login when it carries none).  A session's
// connection is opened on first use and closed when idle (30 s); the cookie is
// checked by disorderd at each (re)connection, so revoking it, deleting the
// user or changing the password ends the session.
#pragma once

#include "async_client.hpp"
#include "config.hpp"
#include "event_loop.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace disorder::web {

class Session {
public:
  enum class State { connecting, ready, failed };

  // "" for the guest session.
  const std::string& cookie() const { return cookie_; }
  bool guest() const { return cookie_.empty(); }
  // Empty until logged in.
  const std::string& user() const { return user_; }
  const std::vector<std::string>& rights() const { return rights_; }
  bool has_right(std::string_view right) const;
  State state() const { return state_; }
  // Why the login failed (state failed), and disorderd's code for it (530
  // for a refused cookie or no guest user; 0 when disorderd is unreachable).
  const std::string& failure() const { return failure_; }
  int failure_code() const { return failure_code_; }
  // Runs fn when the session is ready or has failed (at once if it is).
  void when_settled(std::function<void()> fn);
  // The connection, when ready.
  AsyncClient& client() { return *client_; }
  // Re-reads the user's rights; then calls done, with false if the
  // connection turned out to be gone.
  void refresh_rights(std::function<void(bool alive)> done);

private:
  friend class SessionTable;
  void settle(State s);

  std::string cookie_, user_;
  std::vector<std::string> rights_;
  State state_ = State::connecting;
  std::string failure_;
  int failure_code_ = 0;
  std::unique_ptr<AsyncClient> client_;
  std::vector<std::function<void()>> waiting_;
  std::chrono::steady_clock::time_point last_used_;
  // When the cookie is next checked by a new login with it.
  std::chrono::steady_clock::time_point recheck_at_;
  std::chrono::seconds recheck_after_{60};
};

class SessionTable {
public:
  SessionTable(EventLoop& loop, const Config& config);
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;
  ~SessionTable();

  // The session for a cookie ("" for guest), connecting it if needed.
  std::shared_ptr<Session> get(const std::string& cookie);
  // Adopts a connection that has just logged in (with a password or a
  // confirmation) and made `cookie`; the session is ready once its rights
  // are read.
  std::shared_ptr<Session> adopt(std::unique_ptr<AsyncClient> client, std::string user,
                                 std::string cookie);
  // Forgets a cookie's session (after logout); its connection closes.
  void drop(const std::string& cookie);
  // Forgets this session, if the table still has it (not a newer one for
  // the same cookie).
  void drop(const std::shared_ptr<Session>& session);
  // Opens a new connection to disorderd for a session's own purposes (a
  // login, an event log); on_closed as for AsyncClient.  Throws
  // SystemError if disorderd cannot be reached.
  std::unique_ptr<AsyncClient> connect(AsyncClient::ClosedHandler on_closed);
  size_t size() const { return sessions_.size(); }

private:
  void start(const std::shared_ptr<Session>& s);
  void connection_lost(const std::weak_ptr<Session>& session, const std::string& why);
  void read_rights(const std::shared_ptr<Session>& s);
  void sweep();
  std::chrono::seconds recheck_interval() const;

  EventLoop& loop_;
  const Config& config_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::unique_ptr<Event> sweeper_;
};

// The login name of the guest user, DisOrder's convention.
inline constexpr std::string_view guest_user = "guest";

} // namespace disorder::web
