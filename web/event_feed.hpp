// Live updates for browsers: one disorderd event log per user, fanned out
// to every open event stream (Server-Sent Events) of that user's sessions.
// Recent events are kept, numbered, so that a browser that reconnects with
// Last-Event-ID gets what it missed instead of reloading; when disorderd
// goes away the streams are told, and the feed reconnects by itself.
#pragma once

#include "async_client.hpp"
#include "event_loop.hpp"
#include "web/http_server.hpp"
#include "web/session_table.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace disorder::web {

class EventFeeds {
public:
  // on_event sees every event line of every feed (for caches that an event
  // makes stale).
  EventFeeds(EventLoop& loop, SessionTable& sessions,
             std::function<void(const std::vector<std::string>& fields)> on_event);
  EventFeeds(const EventFeeds&) = delete;
  EventFeeds& operator=(const EventFeeds&) = delete;
  ~EventFeeds();

  // Starts an event stream on `request` for `session`'s user.
  // last_event_id: the browser's Last-Event-ID header, if any.
  void subscribe(const std::shared_ptr<Session>& session, std::shared_ptr<HttpRequest> request,
                 const std::string& last_event_id);
  size_t streams() const;
  size_t feeds() const { return feeds_.size(); }

  // A stream whose client has this much unsent is closed (it reconnects
  // and catches up from the kept events).
  static constexpr size_t kMaxBacklog = 256 * 1024;
  static constexpr size_t kKept = 256;

private:
  struct Feed;
  void connect(Feed& feed);
  // Says hello to the streams that waited for the log connection, with
  // the server's state, and makes them ordinary streams.
  void greet(Feed& feed);
  void line(Feed& feed, const std::string& line);
  void broadcast(Feed& feed, const std::string& frame);
  void lost(Feed& feed, const std::string& why);
  void keepalive();

  EventLoop& loop_;
  SessionTable& sessions_;
  std::function<void(const std::vector<std::string>&)> on_event_;
  std::map<std::string, std::unique_ptr<Feed>> feeds_; // by user
  // The JSON of recent event lines, by the line, while a feed keeps it.
  std::map<std::string, std::weak_ptr<const std::string>> interned_;
  std::unique_ptr<Event> keepalive_;
};

} // namespace disorder::web
