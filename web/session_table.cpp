// Browser sessions as disorderd logins (session_table.hpp).
#include "web/session_table.hpp"

#include "error.hpp"
#include "log.hpp"
#include "split.hpp"

#include <algorithm>

namespace disorder::web {

namespace {

// A session's connection idle for this long is closed (and reopened, with
// the cookie checked again, on the next request).
constexpr auto kIdle = std::chrono::seconds(30);
constexpr auto kRecheck = std::chrono::seconds(60);
// At most this many sessions (and so connections to disorderd) at once;
// disorderd's own max_connections is 1024 by default.
constexpr size_t kMaxSessions = 768;

std::vector<std::string> split_rights(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view r = text.substr(0, comma);
    while (!r.empty() && r.front() == ' ')
      r.remove_prefix(1);
    while (!r.empty() && r.back() == ' ')
      r.remove_suffix(1);
    if (!r.empty()) out.emplace_back(r);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

} // namespace

bool Session::has_right(std::string_view right) const {
  return std::find(rights_.begin(), rights_.end(), right) != rights_.end();
}

void Session::when_settled(std::function<void()> fn) {
  last_used_ = std::chrono::steady_clock::now();
  if (state_ == State::connecting)
    waiting_.push_back(std::move(fn));
  else
    fn();
}

void Session::settle(State s) {
  state_ = s;
  recheck_at_ = std::chrono::steady_clock::now() + recheck_after_;
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& fn : waiting)
    fn();
}

void Session::refresh_rights(std::function<void(bool alive)> done) {
  if (state_ != State::ready || user_.empty()) {
    done(state_ == State::ready);
    return;
  }
  client_->command({"userinfo", user_, "rights"}, [this, done = std::move(done)](Reply& r) {
    if (r.ok()) {
      try {
        rights_ = split_rights(r.value());
      } catch (const std::exception&) {
      }
    }
    done(r.code != 0);
  });
}

SessionTable::SessionTable(EventLoop& loop, const Config& config) : loop_(loop), config_(config) {
  sweeper_ = Event::timer(loop_, [this](short) {
    sweep();
    sweeper_->add(std::chrono::seconds(10));
  });
  sweeper_->add(std::chrono::seconds(10));
}

SessionTable::~SessionTable() = default;

std::chrono::seconds SessionTable::recheck_interval() const {
  // No cookie lives longer than cookie_login_lifetime.
  return std::min<std::chrono::seconds>(kRecheck, config_.cookie_login_lifetime);
}

std::unique_ptr<AsyncClient> SessionTable::connect(AsyncClient::ClosedHandler on_closed) {
  return AsyncClient::open(loop_, config_, std::move(on_closed));
}

std::shared_ptr<Session> SessionTable::get(const std::string& cookie) {
  auto it = sessions_.find(cookie);
  if (it != sessions_.end()) {
    // A session in use is checked again now and then, with a new login by
    // its cookie, so that an expired cookie ends it.
    const auto& s = it->second;
    const bool dead = s->state_ == Session::State::ready && !s->client_->usable();
    if (!dead && (s->state_ != Session::State::ready || s->guest() ||
                  std::chrono::steady_clock::now() < s->recheck_at_))
      return s;
    sessions_.erase(it);
  }
  auto s = std::make_shared<Session>();
  s->cookie_ = cookie;
  s->last_used_ = std::chrono::steady_clock::now();
  s->recheck_after_ = recheck_interval();
  // Each session is a connection to disorderd: a flood of made-up cookies
  // must not use up the server's connections.
  if (sessions_.size() >= kMaxSessions) sweep();
  if (sessions_.size() >= kMaxSessions) {
    s->failure_ = "too many sessions at once: try again later";
    s->failure_code_ = 0;
    s->state_ = Session::State::failed;
    return s;
  }
  sessions_[cookie] = s;
  start(s);
  return s;
}

void SessionTable::start(const std::shared_ptr<Session>& s) {
  const std::string cookie = s->cookie_;
  try {
    s->client_ = connect([this, weak = std::weak_ptr<Session>(s)](const std::string& why) {
      connection_lost(weak, why);
    });
  } catch (const std::exception& e) {
    log_warning(std::string("cannot reach disorderd: ") + e.what());
    s->failure_ = "the jukebox server is not running";
    s->failure_code_ = 0;
    sessions_.erase(cookie);
    s->settle(Session::State::failed);
    return;
  }
  std::weak_ptr<Session> weak = s;
  auto logged_in = [this, weak](Reply& r) {
    auto live = weak.lock();
    if (!live) return;
    if (r.code == 0) return; // connection_lost() settles it
    if (!r.ok()) {
      live->failure_ = live->guest() ? "log in first" : "your login has expired: log in again";
      live->failure_code_ = 530;
      loop_.defer([this, cookie = live->cookie_, live] {
        auto it = sessions_.find(cookie);
        if (it != sessions_.end() && it->second == live) sessions_.erase(it);
      });
      live->settle(Session::State::failed);
      return;
    }
    if (!live->guest()) {
      try {
        live->user_ = r.value();
      } catch (const std::exception&) {
      }
    } else {
      live->user_ = std::string(guest_user);
    }
    read_rights(live);
  };
  if (s->guest())
    s->client_->login(std::string(guest_user), "", std::move(logged_in));
  else
    s->client_->command({"cookie", cookie}, std::move(logged_in));
}

std::shared_ptr<Session> SessionTable::adopt(std::unique_ptr<AsyncClient> client, std::string user,
                                             std::string cookie) {
  auto s = std::make_shared<Session>();
  s->cookie_ = cookie;
  s->user_ = std::move(user);
  s->recheck_after_ = recheck_interval();
  s->client_ = std::move(client);
  s->client_->set_on_closed([this, weak = std::weak_ptr<Session>(s)](const std::string& why) {
    connection_lost(weak, why);
  });
  s->last_used_ = std::chrono::steady_clock::now();
  sessions_[cookie] = s;
  read_rights(s);
  return s;
}

void SessionTable::read_rights(const std::shared_ptr<Session>& session) {
  std::weak_ptr<Session> weak = session;
  session->client_->command({"userinfo", session->user_, "rights"}, [weak](Reply& r) {
    auto live = weak.lock();
    if (!live) return;
    if (r.ok()) {
      try {
        live->rights_ = split_rights(r.value());
      } catch (const std::exception&) {
      }
    }
    live->settle(Session::State::ready);
  });
}

void SessionTable::drop(const std::string& cookie) {
  auto it = sessions_.find(cookie);
  if (it == sessions_.end()) return;
  auto s = it->second;
  sessions_.erase(it);
  // Its connection may be in the middle of calling us: close it later.
  loop_.defer([s] {});
}

void SessionTable::drop(const std::shared_ptr<Session>& session) {
  auto it = sessions_.find(session->cookie_);
  // Only this session: the cookie may already have a newer one.
  if (it == sessions_.end() || it->second != session) return;
  sessions_.erase(it);
  loop_.defer([session] {});
}

void SessionTable::connection_lost(const std::weak_ptr<Session>& weak, const std::string& why) {
  auto s = weak.lock();
  if (!s) return;
  // A newer session for the same cookie stays.
  auto it = sessions_.find(s->cookie_);
  if (it != sessions_.end() && it->second == s) sessions_.erase(it);
  if (s->state_ == Session::State::connecting) {
    log_info("connection to disorderd lost: " + why);
    s->failure_ = "the jukebox server is not running";
    s->failure_code_ = 0;
    s->settle(Session::State::failed);
  }
}

void SessionTable::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& s = *it->second;
    if (s.state_ != Session::State::connecting && now - s.last_used_ > kIdle &&
        s.client_->pending() == 0)
      it = sessions_.erase(it);
    else
      ++it;
  }
}

} // namespace disorder::web
