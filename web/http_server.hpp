// The HTTP side of disorder-web: listening sockets served by libevent's
// evhttp, request limits (header and body sizes, a deadline for a whole
// request so that a client trickling bytes cannot hold a connection), and
// a request object that can be answered later, or streamed (for
// Server-Sent Events), even if the client goes away meanwhile.
#pragma once

#include "config.hpp"
#include "event_loop.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct bufferevent;

namespace disorder::web {

class HttpServer;

// One request.  Shared between the server and whoever answers it; after
// the client has gone away, answering it does nothing.
class HttpRequest {
public:
  explicit HttpRequest(evhttp_request* req);
  HttpRequest(const HttpRequest&) = delete;
  HttpRequest& operator=(const HttpRequest&) = delete;
  ~HttpRequest();

  const std::string& method() const { return method_; }
  // The decoded path, without the query.
  const std::string& path() const { return path_; }
  // Every value of a query parameter, in order.
  std::vector<std::string> query(std::string_view name) const;
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  const std::string& body() const { return body_; }
  // The client's address (without the port).
  const std::string& peer() const { return peer_; }
  bool gone() const { return !req_; }

  // Adds a header to the reply (before reply() or start_stream()).
  void add_header(std::string_view name, std::string_view value);
  void reply(int status, std::string_view content_type, std::string_view body);
  // Starts a streamed (chunked) reply; then send() and end().
  void start_stream(int status, std::string_view content_type);
  void send(std::string_view data);
  void end();
  // Bytes queued for this client and not yet sent.
  size_t backlog() const;
  // Caps the kernel's send buffer of the connection (for a long stream,
  // whose backlog() should show a slow client soon).
  void limit_send_buffer(int bytes);
  // Called once when the client goes away (for streams).
  void on_gone(std::function<void()> fn) { on_gone_ = std::move(fn); }

private:
  friend class HttpServer;
  void client_gone();

  evhttp_request* req_;
  std::string method_, path_, query_, body_, peer_;
  bool streaming_ = false;
  std::function<void()> on_gone_;
};

class HttpServer {
public:
  using Handler = std::function<void(std::shared_ptr<HttpRequest>)>;
  struct Limits {
    size_t max_headers = 8192;
    size_t max_body = 64 * 1024;
    // From the connection's start (or the end of its previous reply) to a
    // complete request.
    std::chrono::seconds request_deadline{10};
    // A keep-alive connection with nothing to do is closed after this.
    std::chrono::seconds idle_timeout{60};
  };

  HttpServer(EventLoop& loop, Limits limits, Handler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Listens on `address` (web_listen); throws SystemError.
  void listen(const NetAddress& address);
  // Listening ports (for logs and tests with port 0).
  std::vector<std::string> bound() const { return bound_; }

private:
  friend class HttpRequest;
  struct Watch;
  static void dispatch(evhttp_request* req, void* arg);
  static bufferevent* make_bev(event_base* base, void* arg);
  static void connection_closed(evhttp_connection* evcon, void* arg);
  static void request_done(evhttp_request* req, void* arg);
  void watch(bufferevent* bev);
  void served(evhttp_connection* evcon);
  void expire(Watch* w);

  EventLoop& loop_;
  Limits limits_;
  Handler handler_;
  evhttp* http_;
  std::vector<std::string> bound_;
  // Connections still owing a complete request, by their bufferevent.
  std::map<bufferevent*, std::unique_ptr<Watch>> watches_;
  // Requests being answered, by connection, so that a close reaches them.
  std::multimap<evhttp_connection*, std::weak_ptr<HttpRequest>> open_;
  std::map<evhttp_connection*, bool> close_hooked_;
  std::map<evhttp_request*, evhttp_connection*> complete_hooked_;
};

} // namespace disorder::web
