// Per-user event logs fanned out to Server-Sent Event streams (event_feed.hpp).
#include "web/event_feed.hpp"

#include "crypto.hpp"
#include "log.hpp"
#include "split.hpp"
#include "web/json.hpp"

#include <algorithm>

namespace disorder::web {

namespace {

constexpr auto kKeepalive = std::chrono::seconds(15);
constexpr auto kLinger = std::chrono::seconds(30);
constexpr auto kFirstRetry = std::chrono::milliseconds(500);
constexpr auto kLongestRetry = std::chrono::milliseconds(5000);

std::string hello_frame(bool resumed) {
  return std::string("event: hello\ndata: {\"resumed\":") + (resumed ? "true" : "false") + "}\n\n";
}

std::string server_frame(bool up, const std::string& error) {
  JsonWriter j;
  j.begin_object().key("up").boolean(up);
  if (!error.empty()) j.field("error", error);
  j.end_object();
  return "event: server\ndata: " + j.take() + "\n\n";
}

std::string log_frame(const std::string& generation, uint64_t id, const std::string& data) {
  return "id: " + generation + "-" + std::to_string(id) + "\nevent: log\ndata: " + data + "\n\n";
}

} // namespace

struct EventFeeds::Feed {
  std::string user;
  std::string cookie; // whose login the log connection uses; "" for guest
  std::string generation;
  uint64_t next_id = 1;
  // Each event's id and its JSON, shared with every other user's feed
  // that received the same line.
  std::deque<std::pair<uint64_t, std::shared_ptr<const std::string>>> kept;
  std::vector<std::shared_ptr<HttpRequest>> streams;
  // Streams opened while the log connection was being made: their hello
  // waits until it follows the log (or has failed), since a page refetches
  // what it shows on hello, and a change between that refetch and the
  // log's start would reach it by neither.
  std::vector<std::shared_ptr<HttpRequest>> waiting;
  bool idle() const { return streams.empty() && waiting.empty(); }
  std::unique_ptr<AsyncClient> client;
  bool up = false;
  // Whether the streams were told that the server is down (and so must be
  // told when it is back): after the log was lost, and also when the
  // first connection failed, before the feed was ever up -- a page that
  // opened just as the server stopped learns it too.
  bool told_down = false;
  std::chrono::milliseconds backoff = kFirstRetry;
  std::unique_ptr<Event> retry, linger;
};

EventFeeds::EventFeeds(EventLoop& loop, SessionTable& sessions,
                       std::function<void(const std::vector<std::string>&)> on_event)
    : loop_(loop), sessions_(sessions), on_event_(std::move(on_event)) {
  keepalive_ = Event::timer(loop_, [this](short) {
    keepalive();
    keepalive_->add(kKeepalive);
  });
  keepalive_->add(kKeepalive);
}

EventFeeds::~EventFeeds() = default;

size_t EventFeeds::streams() const {
  size_t n = 0;
  for (const auto& [user, f] : feeds_)
    n += f->streams.size() + f->waiting.size();
  return n;
}

void EventFeeds::subscribe(const std::shared_ptr<Session>& session,
                           std::shared_ptr<HttpRequest> request, const std::string& last_event_id) {
  const std::string user = session->user();
  auto& slot = feeds_[user];
  const bool fresh = !slot;
  if (fresh) {
    slot = std::make_unique<Feed>();
    slot->user = user;
    slot->cookie = session->cookie();
    Feed* f = slot.get();
    slot->retry = Event::timer(loop_, [this, f](short) { connect(*f); });
    slot->linger = Event::timer(loop_, [this, user](short) {
      auto it = feeds_.find(user);
      if (it != feeds_.end() && it->second->idle()) feeds_.erase(it);
    });
  }
  Feed& feed = *slot;
  feed.linger->remove();
  if (feed.cookie.empty() && !session->cookie().empty()) feed.cookie = session->cookie();

  request->add_header("Cache-Control", "no-store");
  request->add_header("X-Accel-Buffering", "no");
  request->start_stream(200, "text/event-stream; charset=utf-8");
  std::string out = "retry: 2000\n\n";
  std::weak_ptr<HttpRequest> weak = request;
  request->on_gone([this, user, weak] {
    auto it = feeds_.find(user);
    if (it == feeds_.end()) return;
    Feed& f = *it->second;
    auto r = weak.lock();
    f.streams.erase(std::remove(f.streams.begin(), f.streams.end(), r), f.streams.end());
    f.waiting.erase(std::remove(f.waiting.begin(), f.waiting.end(), r), f.waiting.end());
    if (f.idle()) f.linger->add(kLinger);
  });
  if (!feed.up && !feed.told_down) {
    // Connecting: hello once the log is followed (greet).
    request->send(out);
    feed.waiting.push_back(std::move(request));
    if (fresh) connect(feed);
    return;
  }
  // Resume: the same feed generation and nothing missed dropped from the
  // kept events.
  bool resumed = false;
  uint64_t from = 0;
  const size_t dash = last_event_id.rfind('-');
  if (feed.up && dash != std::string::npos && last_event_id.substr(0, dash) == feed.generation) {
    try {
      from = std::stoull(last_event_id.substr(dash + 1)) + 1;
      const uint64_t oldest = feed.kept.empty() ? feed.next_id : feed.kept.front().first;
      resumed = from >= oldest && from <= feed.next_id;
    } catch (const std::exception&) {
    }
  }
  out += hello_frame(resumed);
  if (resumed)
    for (const auto& [id, data] : feed.kept)
      if (id >= from) out += log_frame(feed.generation, id, *data);
  if (!feed.up) out += server_frame(false, "the jukebox server is not running");
  request->send(out);
  feed.streams.push_back(std::move(request));
}

void EventFeeds::greet(Feed& feed) {
  std::string frame = hello_frame(false);
  if (!feed.up) frame += server_frame(false, "the jukebox server is not running");
  for (auto& s : feed.waiting) {
    s->send(frame);
    feed.streams.push_back(std::move(s));
  }
  feed.waiting.clear();
}

void EventFeeds::connect(Feed& feed) {
  const std::string user = feed.user;
  try {
    feed.client = sessions_.connect([this, user](const std::string& why) {
      auto it = feeds_.find(user);
      if (it != feeds_.end()) lost(*it->second, why);
    });
  } catch (const std::exception& e) {
    lost(feed, e.what());
    return;
  }
  Feed* f = &feed;
  auto logged_in = [this, f](Reply& r) {
    if (r.code == 0) return; // lost() reports it
    if (!r.ok()) {
      // The login this feed used has ended (the cookie was revoked): end
      // the streams, which reconnect with their own sessions' logins.
      auto streams = std::move(f->streams);
      f->streams.clear();
      for (auto& s : f->waiting)
        streams.push_back(std::move(s));
      f->waiting.clear();
      for (auto& s : streams)
        s->end();
      loop_.defer([this, gone = f->user] {
        auto it = feeds_.find(gone);
        if (it != feeds_.end() && it->second->idle()) feeds_.erase(it);
      });
      return;
    }
    f->client->follow_log([this, f](const std::string& l) { line(*f, l); },
                          [this, f](Reply& started) {
                            if (!started.has_endless_body()) return;
                            f->generation = to_hex(random_bytes(6));
                            f->next_id = 1;
                            f->kept.clear();
                            f->backoff = kFirstRetry;
                            f->up = true;
                            if (f->told_down) broadcast(*f, server_frame(true, ""));
                            f->told_down = false;
                            greet(*f);
                          });
  };
  if (feed.cookie.empty())
    feed.client->login(std::string(guest_user), "", std::move(logged_in));
  else
    feed.client->command({"cookie", feed.cookie}, std::move(logged_in));
}

void EventFeeds::line(Feed& feed, const std::string& text) {
  std::vector<std::string> f;
  try {
    f = split_fields(text);
  } catch (const std::exception&) {
    return;
  }
  if (f.size() < 2) return;
  if (on_event_) on_event_(std::vector<std::string>(f.begin() + 1, f.end()));
  // Every user's log carries most events: their JSON is made once and
  // shared by the feeds that keep it.
  auto& slot = interned_[text];
  auto data = slot.lock();
  if (!data) {
    JsonWriter j;
    j.begin_object();
    try {
      j.key("time").integer(static_cast<long long>(std::stoull(f[0], nullptr, 16)));
    } catch (const std::exception&) {
      j.key("time").null();
    }
    j.field("type", f[1]);
    j.key("fields").begin_array();
    for (size_t i = 2; i < f.size(); ++i)
      j.string(f[i]);
    j.end_array().end_object();
    data = std::make_shared<const std::string>(j.take());
    slot = data;
  }
  if (interned_.size() > 2 * kKept)
    for (auto it = interned_.begin(); it != interned_.end();)
      it = it->second.expired() ? interned_.erase(it) : std::next(it);
  const uint64_t id = feed.next_id++;
  const std::string frame = log_frame(feed.generation, id, *data);
  feed.kept.emplace_back(id, std::move(data));
  if (feed.kept.size() > kKept) feed.kept.pop_front();
  broadcast(feed, frame);
}

void EventFeeds::broadcast(Feed& feed, const std::string& frame) {
  std::vector<std::shared_ptr<HttpRequest>> slow;
  for (auto& s : feed.streams) {
    if (s->backlog() > kMaxBacklog)
      slow.push_back(s);
    else
      s->send(frame);
  }
  for (auto& s : slow) {
    feed.streams.erase(std::remove(feed.streams.begin(), feed.streams.end(), s),
                       feed.streams.end());
    s->end();
  }
}

void EventFeeds::lost(Feed& feed, const std::string& why) {
  const bool was_up = feed.up;
  feed.up = false;
  if (feed.client) loop_.defer([c = std::shared_ptr<AsyncClient>(std::move(feed.client))] {});
  if (was_up) log_info("event log of " + feed.user + " lost: " + why);
  if (!feed.told_down) {
    feed.told_down = true;
    broadcast(feed, server_frame(false, "the jukebox server is not running"));
  }
  greet(feed);
  if (feed.idle()) {
    const std::string user = feed.user;
    loop_.defer([this, user] {
      auto it = feeds_.find(user);
      if (it != feeds_.end() && it->second->idle()) feeds_.erase(it);
    });
    return;
  }
  feed.retry->add(feed.backoff);
  feed.backoff = std::min(feed.backoff * 2, kLongestRetry);
}

void EventFeeds::keepalive() {
  for (auto& [user, f] : feeds_)
    broadcast(*f, ": keepalive\n\n");
}

} // namespace disorder::web
