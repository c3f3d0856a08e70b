// disorder-web's routes: the page's files, the JSON API (sessions, logins,
// accounts and protocol commands), the live event streams and the audio
// streams, with the
// security headers and CSRF check that every response and change needs.
#pragma once

#include "config.hpp"
#include "event_loop.hpp"
#include "web/api.hpp"
#include "web/audio_stream.hpp"
#include "web/event_feed.hpp"
#include "web/http_server.hpp"
#include "web/session_table.hpp"
#include "web/static_files.hpp"

#include <memory>
#include <string>

namespace disorder::web {

struct Json;

class WebApp {
public:
  WebApp(EventLoop& loop, const Config& config);
  WebApp(const WebApp&) = delete;
  WebApp& operator=(const WebApp&) = delete;

  void handle(const std::shared_ptr<HttpRequest>& req);

  SessionTable& sessions() { return sessions_; }
  EventFeeds& feeds() { return feeds_; }

private:
  using Req = std::shared_ptr<HttpRequest>;
  // The session a request's cookie names, or the guest session; calls fn
  // once it is settled.
  void with_session(const Req& req, std::function<void(const std::shared_ptr<Session>&)> fn);
  // Fails the request (401/503) unless the session is ready; true if it is.
  bool require_ready(const Req& req, const Session& s);
  std::string request_cookie(const HttpRequest& req) const;
  std::string csrf_token(const std::string& cookie) const;
  bool secure(const HttpRequest& req) const;
  // The request's Origin, if it has one, is this page's.
  bool same_origin(const HttpRequest& req) const;
  void set_cookie(HttpRequest& req, const std::string& cookie) const;
  void send_json(HttpRequest& req, int status, const std::string& json) const;
  void send_error(HttpRequest& req, int status, std::string_view text, int code = 0) const;
  void send_reply_error(HttpRequest& req, const Reply& r) const;
  // on_lost: called instead if the session's connection is found gone.
  void send_session(const Req& req, const std::shared_ptr<Session>& s,
                    std::function<void()> on_lost = {});
  // The URL of the page, for links in mail.
  std::string base_url(const HttpRequest& req) const;

  void api_session(const Req& req, bool retried = false);
  void api_events(const Req& req);
  void stream(const Req& req, StreamFormat format);
  void api_login(const Req& req, const Json& body);
  void api_logout(const Req& req);
  void api_confirm(const Req& req, const Json& body);
  void api_register(const Req& req, const Json& body);
  void api_reminder(const Req& req, const Json& body);
  void api_password(const Req& req, const Json& body);
  void api_email(const Req& req, const Json& body);
  void api_command(const Req& req, const ApiCommand& cmd, std::vector<std::string> args,
                   std::vector<std::string> body, bool retried = false);
  // Opens a connection to disorderd and lets `start` send a login (or a
  // confirmation) on it; if that succeeds the connection becomes the
  // request's session as `user` (empty: the name the reply gives),
  // otherwise `refused` answers the request.
  using Starter = std::function<void(AsyncClient&, AsyncClient::ReplyHandler)>;
  void login_on_new_connection(const Req& req, const std::string& user, Starter start,
                               std::function<void(Reply&)> refused);
  // A logged-in connection's new cookie becomes the request's session.
  void finish_login(const Req& req, std::unique_ptr<AsyncClient> client, std::string user,
                    const std::string& old_cookie);

  EventLoop& loop_;
  const Config& config_;
  SessionTable sessions_;
  TrackInfoCache tracks_;
  EventFeeds feeds_;
  StaticFiles files_;
  AudioStreams streams_;
  std::string csrf_key_;
};

} // namespace disorder::web
