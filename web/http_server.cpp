// evhttp behind disorder-web's limits (http_server.hpp).
#include "web/http_server.hpp"

#include "error.hpp"
#include "log.hpp"
#include "socket_address.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <sys/socket.h>

namespace disorder::web {

struct HttpServer::Watch {
  bufferevent* bev;
  std::unique_ptr<Event> timer;
};

// ------------------------------------------------------------ HttpRequest

HttpRequest::HttpRequest(evhttp_request* req) : req_(req) {
  switch (evhttp_request_get_command(req)) {
  case EVHTTP_REQ_GET:
    method_ = "GET";
    break;
  case EVHTTP_REQ_HEAD:
    method_ = "HEAD";
    break;
  case EVHTTP_REQ_POST:
    method_ = "POST";
    break;
  default:
    method_ = "OTHER";
    break;
  }
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  if (const char* p = uri ? evhttp_uri_get_path(uri) : nullptr) {
    size_t len = 0;
    if (char* decoded = evhttp_uridecode(p, 0, &len)) {
      path_.assign(decoded, len);
      std::free(decoded);
    }
  }
  if (const char* q = uri ? evhttp_uri_get_query(uri) : nullptr) query_ = q;
  evbuffer* in = evhttp_request_get_input_buffer(req);
  const size_t n = evbuffer_get_length(in);
  body_.resize(n);
  if (n) evbuffer_copyout(in, body_.data(), n);
  if (evhttp_connection* evcon = evhttp_request_get_connection(req)) {
    char* address = nullptr;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &address, &port);
    if (address) peer_ = address;
  }
}

HttpRequest::~HttpRequest() {
  // Never leave a request unanswered: evhttp would hold it (and its
  // connection) for ever.
  if (req_) end();
}

std::vector<std::string> HttpRequest::query(std::string_view name) const {
  std::vector<std::string> out;
  evkeyvalq params{};
  if (evhttp_parse_query_str(query_.c_str(), &params) != 0) return out;
  for (evkeyval* kv = params.tqh_first; kv; kv = kv->next.tqe_next)
    if (name == kv->key) out.emplace_back(kv->value);
  evhttp_clear_headers(&params);
  return out;
}

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  if (!req_) return std::nullopt;
  const char* v =
      evhttp_find_header(evhttp_request_get_input_headers(req_), std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  auto h = header("Cookie");
  if (!h) return std::nullopt;
  std::string_view s = *h;
  while (!s.empty()) {
    size_t end = s.find(';');
    std::string_view part = s.substr(0, end);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return std::nullopt;
}

void HttpRequest::add_header(std::string_view name, std::string_view value) {
  if (!req_) return;
  evhttp_add_header(evhttp_request_get_output_headers(req_), std::string(name).c_str(),
                    std::string(value).c_str());
}

void HttpRequest::reply(int status, std::string_view content_type, std::string_view body) {
  if (!req_) return;
  evhttp_request* req = std::exchange(req_, nullptr);
  if (!content_type.empty())
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      std::string(content_type).c_str());
  evbuffer* out = evbuffer_new();
  if (method_ != "HEAD") evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(req, status, nullptr, out);
  evbuffer_free(out);
}

void HttpRequest::start_stream(int status, std::string_view content_type) {
  if (!req_) return;
  evhttp_add_header(evhttp_request_get_output_headers(req_), "Content-Type",
                    std::string(content_type).c_str());
  evhttp_send_reply_start(req_, status, nullptr);
  streaming_ = true;
}

void HttpRequest::send(std::string_view data) {
  if (!req_ || !streaming_) return;
  if (!evhttp_request_get_connection(req_)) return;
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, data.data(), data.size());
  evhttp_send_reply_chunk(req_, out);
  evbuffer_free(out);
}

void HttpRequest::end() {
  if (!req_) return;
  evhttp_request* req = std::exchange(req_, nullptr);
  if (streaming_)
    evhttp_send_reply_end(req);
  else
    evhttp_send_reply(req, 500, nullptr, nullptr);
}

size_t HttpRequest::backlog() const {
  if (!req_) return 0;
  evhttp_connection* evcon = evhttp_request_get_connection(req_);
  if (!evcon) return 0;
  bufferevent* bev = evhttp_connection_get_bufferevent(evcon);
  return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void HttpRequest::limit_send_buffer(int bytes) {
  if (!req_) return;
  evhttp_connection* evcon = evhttp_request_get_connection(req_);
  bufferevent* bev = evcon ? evhttp_connection_get_bufferevent(evcon) : nullptr;
  const evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

void HttpRequest::client_gone() {
  // evhttp has detached the request from its connection; answering it
  // (which end() does) is what frees it.
  if (streaming_ || req_) end();
  if (on_gone_) {
    auto fn = std::move(on_gone_);
    fn();
  }
}

// ------------------------------------------------------------- HttpServer

HttpServer::HttpServer(EventLoop& loop, Limits limits, Handler handler)
    : loop_(loop), limits_(limits), handler_(std::move(handler)), http_(evhttp_new(loop.base())) {
  if (!http_) throw Error("cannot create the HTTP server");
  evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(limits_.max_headers));
  evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(limits_.max_body));
  evhttp_set_timeout(http_, static_cast<int>(limits_.idle_timeout.count()));
  // Every method reaches the application, which answers the ones it does
  // not serve with 405 and the usual headers.
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  evhttp_set_default_content_type(http_, "text/plain; charset=utf-8");
  evhttp_set_bevcb(http_, &HttpServer::make_bev, this);
  evhttp_set_gencb(http_, &HttpServer::dispatch, this);
}

HttpServer::~HttpServer() {
  for (auto& [bev, w] : watches_)
    bufferevent_decref(bev);
  watches_.clear();
  // evhttp_free frees the requests still open (event streams): whoever
  // still holds one must not touch it afterwards.
  for (auto& [evcon, weak] : open_)
    if (auto r = weak.lock()) {
      r->on_gone_ = nullptr;
      r->req_ = nullptr;
    }
  evhttp_free(http_);
}

void HttpServer::listen(const NetAddress& address) {
  for (Fd& fd : listen_tcp(address)) {
    set_nonblocking(fd.get());
    const int raw = fd.get();
    if (!evhttp_accept_socket_with_handle(http_, raw))
      throw Error("cannot serve HTTP on " + address.host + " " + address.service);
    fd.release();
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(raw, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      int port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      bound_.push_back(std::to_string(port));
    }
  }
}

bufferevent* HttpServer::make_bev(event_base* base, void* arg) {
  auto* self = static_cast<HttpServer*>(arg);
  bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  if (bev) self->watch(bev);
  return bev;
}

void HttpServer::watch(bufferevent* bev) {
  // Our reference keeps the bufferevent (not the connection) valid until
  // the deadline passes or a complete request arrives, whichever is first.
  bufferevent_incref(bev);
  auto w = std::make_unique<Watch>();
  w->bev = bev;
  Watch* raw = w.get();
  w->timer = Event::timer(loop_, [this, raw](short) { expire(raw); });
  w->timer->add(std::chrono::duration_cast<std::chrono::microseconds>(limits_.request_deadline));
  auto old = watches_.find(bev);
  if (old != watches_.end()) {
    bufferevent_decref(bev);
    old->second = std::move(w);
  } else {
    watches_.emplace(bev, std::move(w));
  }
}

void HttpServer::expire(Watch* w) {
  bufferevent* bev = w->bev;
  // Still waiting for a complete request, or the connection is already
  // gone: either way shutting the socket down ends it (evhttp sees the end
  // of input and frees the connection).
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  watches_.erase(bev);
  bufferevent_decref(bev);
}

void HttpServer::served(evhttp_connection* evcon) {
  bufferevent* bev = evhttp_connection_get_bufferevent(evcon);
  auto it = watches_.find(bev);
  if (it == watches_.end()) return;
  watches_.erase(it);
  bufferevent_decref(bev);
}

void HttpServer::connection_closed(evhttp_connection* evcon, void* arg) {
  auto* self = static_cast<HttpServer*>(arg);
  self->served(evcon);
  self->close_hooked_.erase(evcon);
  auto [first, last] = self->open_.equal_range(evcon);
  std::vector<std::shared_ptr<HttpRequest>> gone;
  for (auto it = first; it != last; ++it)
    if (auto r = it->second.lock()) gone.push_back(std::move(r));
  self->open_.erase(first, last);
  for (auto i = self->complete_hooked_.begin(); i != self->complete_hooked_.end();)
    i = i->second == evcon ? self->complete_hooked_.erase(i) : std::next(i);
  for (auto& r : gone)
    r->client_gone();
}

void HttpServer::request_done(evhttp_request* req, void* arg) {
  auto* self = static_cast<HttpServer*>(arg);
  auto it = self->complete_hooked_.find(req);
  if (it == self->complete_hooked_.end()) return;
  evhttp_connection* evcon = it->second;
  self->complete_hooked_.erase(it);
  // Forget answered requests of this connection.
  auto [first, last] = self->open_.equal_range(evcon);
  for (auto i = first; i != last;)
    i = i->second.expired() ? self->open_.erase(i) : std::next(i);
  // The next request on a kept-alive connection has the same deadline.
  if (self->close_hooked_.count(evcon))
    if (bufferevent* bev = evhttp_connection_get_bufferevent(evcon)) self->watch(bev);
}

void HttpServer::dispatch(evhttp_request* req, void* arg) {
  auto* self = static_cast<HttpServer*>(arg);
  evhttp_connection* evcon = evhttp_request_get_connection(req);
  self->served(evcon);
  if (!self->close_hooked_.count(evcon)) {
    evhttp_connection_set_closecb(evcon, &HttpServer::connection_closed, self);
    self->close_hooked_[evcon] = true;
  }
  self->complete_hooked_[req] = evcon;
  evhttp_request_set_on_complete_cb(req, &HttpServer::request_done, self);
  auto r = std::make_shared<HttpRequest>(req);
  self->open_.emplace(evcon, r);
  try {
    self->handler_(r);
  } catch (const std::exception& e) {
    log_error(std::string("HTTP request failed: ") + e.what());
    r->reply(500, "application/json", "{\"error\":\"internal error\"}");
  }
}

} // namespace disorder::web
