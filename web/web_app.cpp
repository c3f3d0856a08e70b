// disorder-web's routes (web_app.hpp).
#include "web/web_app.hpp"

#include "address_prefix.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "mail.hpp"
#include "web/json.hpp"

#include <event2/http.h>

namespace disorder::web {

namespace {

constexpr std::string_view kCookie = "disorder";
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
constexpr size_t kMaxArgs = 64;
constexpr std::string_view kNotRunning = "the jukebox server is not running";
constexpr size_t kMaxField = 4096;

// A disorderd cookie as a browser may carry it: printable, no separators.
bool plausible_cookie(std::string_view c) {
  if (c.empty() || c.size() > 1024) return false;
  for (char ch : c)
    if (ch <= ' ' || ch >= 0x7f || ch == ';' || ch == ',' || ch == '"' || ch == '\\') return false;
  return true;
}

std::string url_encode(std::string_view s) {
  char* e = evhttp_uriencode(s.data(), static_cast<ev_ssize_t>(s.size()), 0);
  std::string out = e ? e : "";
  std::free(e);
  return out;
}

std::optional<std::string> string_member(const Json& body, std::string_view name) {
  const Json* v = body.get(name);
  if (!v) return std::nullopt;
  auto s = v->as_string();
  if (!s || s->size() > kMaxField) return std::nullopt;
  return s;
}

} // namespace

WebApp::WebApp(EventLoop& loop, const Config& config)
    : loop_(loop), config_(config), sessions_(loop, config),
      feeds_(loop, sessions_, [this](const std::vector<std::string>& f) { tracks_.event(f); }),
      files_(config.web_static), streams_(loop, config), csrf_key_(random_bytes(32)) {}

// ------------------------------------------------------------ plumbing

std::string WebApp::request_cookie(const HttpRequest& req) const {
  auto c = req.cookie(kCookie);
  if (c && plausible_cookie(*c)) return *c;
  return {};
}

std::string WebApp::csrf_token(const std::string& cookie) const {
  return to_hex(hmac_sha256(csrf_key_, "csrf\n" + cookie)).substr(0, 32);
}

bool WebApp::secure(const HttpRequest& req) const {
  auto proto = req.header("X-Forwarded-Proto");
  if (!proto || *proto != "https" || config_.web_proxy.empty()) return false;
  auto peer = parse_ip_address(req.peer());
  if (!peer) return false;
  for (const auto& p : config_.web_proxy)
    if (p.contains(*peer)) return true;
  return false;
}

void WebApp::set_cookie(HttpRequest& req, const std::string& cookie) const {
  std::string v = std::string(kCookie) + "=" + cookie + "; Path=/; HttpOnly; SameSite=Strict";
  if (cookie.empty())
    v += "; Max-Age=0";
  else
    v += "; Max-Age=" + std::to_string(config_.cookie_login_lifetime.count());
  if (secure(req)) v += "; Secure";
  req.add_header("Set-Cookie", v);
}

void WebApp::send_json(HttpRequest& req, int status, const std::string& json) const {
  req.add_header("Cache-Control", "no-store");
  req.reply(status, "application/json; charset=utf-8", json);
}

void WebApp::send_error(HttpRequest& req, int status, std::string_view text, int code) const {
  send_json(req, status, error_json(text, code));
}

void WebApp::send_reply_error(HttpRequest& req, const Reply& r) const {
  if (r.code == 0)
    send_error(req, 503, kNotRunning, 0);
  else
    send_error(req, http_status_for(r.code), r.text, r.code);
}

bool WebApp::same_origin(const HttpRequest& req) const {
  // Browsers send Origin with every POST; a program that sends none is
  // not a browser tricked by another site.
  auto origin = req.header("Origin");
  if (!origin) return true;
  const std::string host = req.header("Host").value_or("");
  for (std::string_view scheme : {"http://", "https://"})
    if (*origin == std::string(scheme) + host && !host.empty()) return true;
  return false;
}

std::string WebApp::base_url(const HttpRequest& req) const {
  if (!config_.url.empty()) return config_.url;
  std::string host = req.header("Host").value_or("localhost");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']'))
      return "http://localhost/";
  return std::string(secure(req) ? "https://" : "http://") + host + "/";
}

void WebApp::with_session(const Req& req, std::function<void(const std::shared_ptr<Session>&)> fn) {
  auto s = sessions_.get(request_cookie(*req));
  s->when_settled([s, fn = std::move(fn)] { fn(s); });
}

bool WebApp::require_ready(const Req& req, const Session& s) {
  if (s.state() == Session::State::ready) return true;
  if (s.failure_code() == 0) {
    send_error(*req, 503, s.failure(), 0);
  } else {
    // A cookie disorderd no longer accepts is of no further use.
    if (!s.guest()) set_cookie(*req, "");
    send_error(*req, 401, s.failure(), 530);
  }
  return false;
}

// ------------------------------------------------------------ routing

void WebApp::handle(const Req& req) {
  req->add_header("Content-Security-Policy", kCsp);
  req->add_header("X-Content-Type-Options", "nosniff");
  req->add_header("Referrer-Policy", "no-referrer");
  req->add_header("X-Frame-Options", "DENY");
  const std::string& path = req->path();
  const bool get = req->method() == "GET" || req->method() == "HEAD";
  const bool post = req->method() == "POST";
  if (!get && !post) {
    req->add_header("Allow", "GET, HEAD, POST");
    return send_error(*req, 405, "use GET or POST");
  }

  if (path == "/" || path == "/index.html") {
    if (!get) return send_error(*req, 405, "use GET");
    return files_.serve(*req, "index.html");
  }
  if (path.rfind("/static/", 0) == 0) {
    if (!get) return send_error(*req, 405, "use GET");
    return files_.serve(*req, path.substr(8));
  }
  if (path == "/stream.opus" || path == "/stream.mp3") {
    if (!get) return send_error(*req, 405, "use GET");
    return stream(req, path == "/stream.opus" ? StreamFormat::opus : StreamFormat::mp3);
  }
  if (path.rfind("/api/", 0) != 0) return send_error(*req, 404, "not found");
  const std::string name = path.substr(5);

  if (name == "session" || name == "events") {
    if (!get) return send_error(*req, 405, "use GET");
    return name == "session" ? api_session(req) : api_events(req);
  }

  static const std::vector<std::string_view> account = {
      "login", "logout", "confirm", "register", "reminder", "password", "email"};
  const bool is_account = std::find(account.begin(), account.end(), name) != account.end();
  const ApiCommand* cmd = find_api_command(name, post);
  if (!is_account && !cmd) {
    if (find_api_command(name, !post)) return send_error(*req, 405, post ? "use GET" : "use POST");
    return send_error(*req, 404, "no such command");
  }
  if (!post) {
    if (is_account) return send_error(*req, 405, "use POST");
    return api_command(req, *cmd, req->query("arg"), {});
  }

  // Changes: the page's own token, as JSON, from our own origin.
  if (!same_origin(*req)) return send_error(*req, 403, "a change must come from this page");
  const std::string cookie = request_cookie(*req);
  auto token = req->header("X-Disorder-CSRF");
  if (!token || !secure_equal(*token, csrf_token(cookie))) {
    JsonWriter j;
    j.begin_object().field("error", "missing or wrong CSRF token").key("csrf").boolean(true);
    j.end_object();
    return send_json(*req, 403, j.take());
  }
  if (req->header("Content-Type").value_or("").rfind("application/json", 0) != 0)
    return send_error(*req, 415, "send JSON (Content-Type: application/json)");
  Json body;
  try {
    body = parse_json(req->body().empty() ? "{}" : req->body());
  } catch (const std::exception& e) {
    return send_error(*req, 400, e.what());
  }
  if (!body.is_object()) return send_error(*req, 400, "the body must be a JSON object");

  if (name == "login") return api_login(req, body);
  if (name == "logout") return api_logout(req);
  if (name == "confirm") return api_confirm(req, body);
  if (name == "register") return api_register(req, body);
  if (name == "reminder") return api_reminder(req, body);
  if (name == "password") return api_password(req, body);
  if (name == "email") return api_email(req, body);

  std::vector<std::string> args, lines;
  if (const Json* a = body.get("args")) {
    auto s = a->as_strings();
    if (!s) return send_error(*req, 400, "args must be an array of strings");
    args = std::move(*s);
  }
  if (const Json* b = body.get("body")) {
    auto s = b->as_strings();
    if (!s) return send_error(*req, 400, "body must be an array of strings");
    lines = std::move(*s);
  }
  api_command(req, *cmd, std::move(args), std::move(lines));
}

// ------------------------------------------------------------ sessions

void WebApp::send_session(const Req& req, const std::shared_ptr<Session>& s,
                          std::function<void()> on_lost) {
  auto finish = [this, req, s](const std::string& version) {
    JsonWriter j;
    j.begin_object();
    const bool ready = s->state() == Session::State::ready;
    j.key("user");
    if (ready)
      j.string(s->user());
    else
      j.null();
    j.key("guest").boolean(ready && s->guest());
    j.key("rights").begin_array();
    if (ready)
      for (const auto& r : s->rights())
        j.string(r);
    j.end_array();
    j.field("csrf", csrf_token(ready ? s->cookie() : ""));
    j.field("version", version);
    j.key("register")
        .boolean(ready && s->guest() && s->has_right("register") && !config_.mail_sender.empty());
    j.key("short_display").integer(config_.short_display);
    // Where browsing the collection starts.
    j.key("roots").begin_array();
    if (ready)
      for (const auto& c : config_.collection)
        j.string(c.root);
    j.end_array();
    j.end_object();
    send_json(*req, 200, j.take());
  };
  if (s->state() != Session::State::ready) {
    if (s->failure_code() == 0) return send_error(*req, 503, s->failure(), 0);
    return finish("");
  }
  s->refresh_rights([s, finish, on_lost](bool alive) {
    // disorderd closed the session's connection (its cookie ended, or
    // disorderd restarted) before we noticed: start again.
    if (!alive && on_lost) return on_lost();
    s->client().command({"version"}, [finish](Reply& r) {
      std::string v;
      if (r.ok()) try {
          v = r.value();
        } catch (const std::exception&) {
        }
      finish(v);
    });
  });
}

void WebApp::api_session(const Req& req, bool retried) {
  const std::string cookie = request_cookie(*req);
  with_session(req, [this, req, cookie, retried](const std::shared_ptr<Session>& s) {
    if (s->state() == Session::State::failed && !cookie.empty() && s->failure_code() == 530) {
      // The cookie has expired or been revoked: forget it, and show the
      // guest's view.
      set_cookie(*req, "");
      auto g = sessions_.get("");
      g->when_settled([this, req, g] { send_session(req, g); });
      return;
    }
    std::function<void()> again;
    if (!retried)
      again = [this, req, s] {
        sessions_.drop(s);
        api_session(req, true);
      };
    send_session(req, s, again);
  });
}

void WebApp::api_events(const Req& req) {
  with_session(req, [this, req](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    feeds_.subscribe(s, req, req->header("Last-Event-ID").value_or(""));
  });
}

void WebApp::stream(const Req& req, StreamFormat format) {
  // Listening is reading: the session's user (a login, or the guest user
  // when there is one) needs the read right.
  with_session(req, [this, req, format](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    if (!s->has_right("read")) return send_error(*req, 403, "you have no right to listen", 510);
    streams_.serve(req, format);
  });
}

void WebApp::finish_login(const Req& req, std::unique_ptr<AsyncClient> client, std::string user,
                          const std::string& old_cookie) {
  auto holder = std::make_shared<std::unique_ptr<AsyncClient>>(std::move(client));
  AsyncClient& c = **holder;
  c.command({"make-cookie"}, [this, req, holder, user, old_cookie](Reply& r) {
    if (!r.ok()) return send_reply_error(*req, r);
    std::string cookie;
    try {
      cookie = r.value();
    } catch (const std::exception&) {
    }
    if (!plausible_cookie(cookie)) return send_error(*req, 502, "disorderd made no usable cookie");
    if (!old_cookie.empty()) sessions_.drop(old_cookie);
    auto s = sessions_.adopt(std::move(*holder), user, cookie);
    set_cookie(*req, cookie);
    s->when_settled([this, req, s] { send_session(req, s); });
  });
}

void WebApp::login_on_new_connection(const Req& req, const std::string& user, Starter start,
                                     std::function<void(Reply&)> refused) {
  std::unique_ptr<AsyncClient> c;
  try {
    c = sessions_.connect([](const std::string&) {});
  } catch (const std::exception&) {
    return send_error(*req, 503, kNotRunning, 0);
  }
  // The connection waits in `holder` for its reply, which hands it on.
  auto holder = std::make_shared<std::unique_ptr<AsyncClient>>(std::move(c));
  const std::string old = request_cookie(*req);
  start(**holder, [this, req, holder, user, old, refused = std::move(refused)](Reply& r) {
    if (!r.ok()) {
      refused(r);
      loop_.defer([holder] { holder->reset(); });
      return;
    }
    std::string who = user;
    if (who.empty()) try {
        who = r.value();
      } catch (const std::exception&) {
      }
    // Not from inside the connection's own callback: it changes hands.
    loop_.defer([this, req, holder, who, old] {
      if (*holder) finish_login(req, std::move(*holder), who, old);
    });
  });
}

void WebApp::api_login(const Req& req, const Json& body) {
  auto user = string_member(body, "username");
  auto password = string_member(body, "password");
  if (!user || !password || user->empty())
    return send_error(*req, 400, "give a username and a password");
  login_on_new_connection(
      req, *user,
      [user = *user, password = *password](AsyncClient& c, AsyncClient::ReplyHandler done) {
        c.login(user, password, std::move(done));
      },
      [this, req, user = *user](Reply& r) {
        if (r.code != 530) return send_reply_error(*req, r);
        log_info("web login failed for " + user + " from " + req->peer());
        send_error(*req, 401, "wrong user name or password", 530);
      });
}

void WebApp::api_logout(const Req& req) {
  const std::string cookie = request_cookie(*req);
  auto after = [this, req, cookie] {
    sessions_.drop(cookie);
    set_cookie(*req, "");
    auto g = sessions_.get("");
    g->when_settled([this, req, g] { send_session(req, g); });
  };
  if (cookie.empty()) return after();
  with_session(req, [after](const std::shared_ptr<Session>& s) {
    if (s->state() != Session::State::ready) return after();
    s->client().command({"revoke"}, [after](Reply&) { after(); });
  });
}

void WebApp::api_confirm(const Req& req, const Json& body) {
  auto confirmation = string_member(body, "confirmation");
  if (!confirmation || confirmation->empty()) return send_error(*req, 400, "give a confirmation");
  // The reply names the new user.
  login_on_new_connection(
      req, "",
      [confirmation = *confirmation](AsyncClient& c, AsyncClient::ReplyHandler done) {
        c.command({"confirm", confirmation}, std::move(done));
      },
      [this, req](Reply& r) { send_reply_error(*req, r); });
}

void WebApp::api_register(const Req& req, const Json& body) {
  auto user = string_member(body, "username");
  auto password = string_member(body, "password");
  auto email = string_member(body, "email");
  if (!user || !password || !email || user->empty() || password->empty() || email->empty())
    return send_error(*req, 400, "give a username, a password and an email address");
  if (config_.mail_sender.empty())
    return send_error(*req, 403, "registration is not enabled here (no mail_sender)", 510);
  with_session(req, [this, req, user = *user, password = *password,
                     email = *email](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    s->client().command({"register", user, password, email}, [this, req, email, user](Reply& r) {
      if (!r.ok()) return send_reply_error(*req, r);
      std::string confirmation;
      try {
        confirmation = r.value();
      } catch (const std::exception&) {
      }
      MailMessage m;
      m.to = email;
      m.subject = "Welcome to the jukebox";
      m.body = "Someone (probably you) asked for an account on the jukebox at\n" + base_url(*req) +
               " under the name " + user + ".\n\nTo confirm it, open this link:\n\n" +
               base_url(*req) + "?confirm=" + url_encode(confirmation) +
               "\n\nIf it was not you, ignore this message: the account stays unusable.\n";
      send_mail_async(
          loop_, config_, std::move(m), [this, req, user](std::optional<std::string> error) {
            if (error) {
              log_error("confirmation mail for " + user + ": " + *error);
              return send_error(*req, 502, "the confirmation mail could not be sent: " + *error);
            }
            send_json(*req, 200, "{\"ok\":true}");
          });
    });
  });
}

void WebApp::api_reminder(const Req& req, const Json& body) {
  auto user = string_member(body, "username");
  if (!user || user->empty()) return send_error(*req, 400, "give a username");
  with_session(req, [this, req, user = *user](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    s->client().command({"reminder", user}, [this, req](Reply& r) {
      if (!r.ok()) return send_reply_error(*req, r);
      send_json(*req, 200, "{\"ok\":true}");
    });
  });
}

void WebApp::api_password(const Req& req, const Json& body) {
  auto password = string_member(body, "password");
  if (!password || password->empty()) return send_error(*req, 400, "give a new password");
  with_session(req, [this, req, password = *password](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    if (s->guest()) return send_error(*req, 401, "log in first", 530);
    const std::string user = s->user();
    s->client().command({"edituser", user, "password", password},
                        [this, req, user, password](Reply& r) {
                          if (!r.ok()) return send_reply_error(*req, r);
                          // The change ends every cookie of the account:
                          // log in again with the new password.
                          login_on_new_connection(
                              req, user,
                              [user, password](AsyncClient& c, AsyncClient::ReplyHandler done) {
                                c.login(user, password, std::move(done));
                              },
                              [this, req](Reply& lr) { send_reply_error(*req, lr); });
                        });
  });
}

void WebApp::api_email(const Req& req, const Json& body) {
  auto email = string_member(body, "email");
  if (!email) return send_error(*req, 400, "give an email address");
  with_session(req, [this, req, email = *email](const std::shared_ptr<Session>& s) {
    if (!require_ready(req, *s)) return;
    if (s->guest()) return send_error(*req, 401, "log in first", 530);
    s->client().command({"edituser", s->user(), "email", email}, [this, req](Reply& r) {
      if (!r.ok()) return send_reply_error(*req, r);
      send_json(*req, 200, "{\"ok\":true}");
    });
  });
}

// ------------------------------------------------------------ commands

void WebApp::api_command(const Req& req, const ApiCommand& cmd, std::vector<std::string> args,
                         std::vector<std::string> body, bool retried) {
  if (args.size() > kMaxArgs) return send_error(*req, 400, "too many arguments");
  for (const auto& a : args)
    if (a.size() > kMaxField || a.find('\n') != std::string::npos)
      return send_error(*req, 400, "an argument is too long or holds a line feed");
  for (const auto& l : body)
    if (l.find('\n') != std::string::npos)
      return send_error(*req, 400, "a body line holds a line feed");
  with_session(req, [this, req, &cmd, args = std::move(args), body = std::move(body),
                     retried](const std::shared_ptr<Session>& s) mutable {
    if (!require_ready(req, *s)) return;
    AsyncClient& c = s->client();
    auto answer = [this, req, &cmd, s, args, retried](Reply& r) {
      // A read whose session's connection had gone (its cookie ended, or
      // disorderd restarted) is tried once more on a new one; a change is
      // not, as it cannot be known whether it was made.
      if (r.code == 0 && !cmd.change && !retried) {
        sessions_.drop(s);
        return api_command(req, cmd, args, {}, true);
      }
      if (!r.ok()) return send_reply_error(*req, r);
      auto tracks = tracks_of(cmd.shape, r);
      if (tracks.empty()) return send_json(*req, 200, shape_reply(cmd.shape, r, tracks_));
      tracks_.fill(s->client(), tracks, [this, req, &cmd, r = std::move(r)] {
        send_json(*req, 200, shape_reply(cmd.shape, r, tracks_));
      });
    };
    std::vector<std::string> line{std::string(cmd.name)};
    line.insert(line.end(), args.begin(), args.end());
    if (cmd.name == "playlist-set") {
      // The protocol wants the playlist locked by this connection around
      // the change.
      if (args.size() != 1) return send_error(*req, 400, "playlist-set takes one playlist");
      const std::string playlist = args[0];
      c.command({"playlist-lock", playlist},
                [this, req, s, playlist, body = std::move(body), answer](Reply& r) mutable {
                  if (!r.ok()) return send_reply_error(*req, r);
                  s->client().command({"playlist-set", playlist}, std::move(body), answer);
                  s->client().command({"playlist-unlock"}, [](Reply&) {});
                });
      return;
    }
    c.command(std::move(line), answer);
  });
}

} // namespace disorder::web
