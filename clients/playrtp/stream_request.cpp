// rtp-address, rtp-request, rtp-cancel.
#include "stream_request.hpp"

#include "error.hpp"
#include "log.hpp"
#include "rtp_socket.hpp"
#include "split.hpp"

#include <cstring>
#include <netdb.h>
#include <sys/socket.h>

namespace disorder::playrtp {

std::optional<std::pair<std::string, std::string>> ask_rtp_address(const Config& config) {
  Client client = Client::open(config);
  const Reply reply = client.command({"rtp-address"});
  std::vector<std::string> fields;
  try {
    fields = split_fields(reply.text);
  } catch (const SyntaxError&) {
  }
  if (fields.size() < 2)
    throw ProtocolError("the server's rtp-address reply is not ADDRESS PORT: " + reply.text);
  if (fields[0] == "-" && fields[1] == "-") return std::nullopt;
  return std::make_pair(fields[0], fields[1]);
}

std::optional<SdpPayload> ask_rtp_sdp(const Config& config) {
  try {
    Client client = Client::open(config);
    const Reply reply = client.request({"rtp-sdp"});
    if (!reply.ok()) {
      log_debug("rtp-sdp: " + std::to_string(reply.code) + " " + reply.text);
      return std::nullopt;
    }
    return sdp_dynamic_payload(reply.body);
  } catch (const Error& e) {
    log_debug(std::string("rtp-sdp: ") + e.what());
    return std::nullopt;
  }
}

std::string local_address_towards_server(const Config& config, int family) {
  if (!config.connect) return family == AF_INET6 ? std::string("::1") : std::string("127.0.0.1");
  addrinfo hints{};
  hints.ai_family = family != AF_UNSPEC ? family : config.connect->family;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc =
      ::getaddrinfo(config.connect->host.c_str(), config.connect->service.c_str(), &hints, &res);
  if (rc != 0)
    throw Error("cannot resolve the server " + config.connect->host + ": " + gai_strerror(rc));
  Fd probe(::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  // Connecting a datagram socket sends nothing; it only picks a route and
  // so a source address.
  const int ok = probe ? ::connect(probe.get(), res->ai_addr, res->ai_addrlen) : -1;
  ::freeaddrinfo(res);
  if (ok < 0) throw_errno("finding a route to the server " + config.connect->host);
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &length) < 0)
    throw_errno("getsockname");
  return numeric_host(local, length);
}

StreamRequest::StreamRequest(Config config, std::string host, std::string port, bool rtcp,
                             bool opus)
    : config_(std::move(config)), host_(std::move(host)), port_(std::move(port)), rtcp_(rtcp),
      opus_(opus) {}

StreamRequest::~StreamRequest() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  if (client_) {
    try {
      client_->command({"rtp-cancel"});
    } catch (const std::exception& e) {
      log_debug(std::string("rtp-cancel: ") + e.what());
    }
  }
}

void StreamRequest::request() {
  Client c = Client::connect(config_);
  // Frame-counted timestamps (RFC 3551), and RTCP sender reports on
  // port+1 if the caller holds it.  A server that takes only ADDRESS PORT
  // (DisOrder's) answers 500: then the plain request, and its stream
  // counts samples, which the stream tracker recognises.  The Opus stream
  // always counts 48 kHz frames (RFC 7587), and a server that does not
  // offer it says so (the listener does not settle for L16 unasked).
  std::vector<std::string> ask{"rtp-request", host_, port_, opus_ ? "opus" : "frames"};
  if (rtcp_) ask.push_back("rtcp");
  Reply reply = c.request(ask);
  if (opus_ && !reply.ok())
    throw CommandError(reply.code, "the server cannot send an Opus stream (" + reply.text +
                                       "): try --encoding l16");
  if (reply.code == 500) {
    log_info("the server takes no options with rtp-request (" + reply.text +
             "): asking without them");
    reply = c.request({"rtp-request", host_, port_});
  }
  if (!reply.ok()) throw CommandError(reply.code, reply.text);
  client_.emplace(std::move(c));
  log_info(std::string("the server is sending ") + (opus_ ? "an Opus" : "a") + " stream to " +
           host_ + " port " + port_);
}

void StreamRequest::start() {
  request();
  thread_ = std::thread([this] { run(); });
}

void StreamRequest::run() {
  std::unique_lock lock(mutex_);
  bool complained = false;
  while (!quit_) {
    wake_.wait_for(lock, client_ ? kCheckInterval : kRetryInterval, [this] { return quit_; });
    if (quit_) break;
    lock.unlock();
    try {
      if (client_) {
        client_->nop();
      } else {
        request();
        complained = false;
      }
    } catch (const std::exception& e) {
      if (client_) {
        log_warning(std::string("lost the server (") + e.what() + "); asking again");
        client_.reset();
      } else if (!complained) {
        log_warning(std::string("cannot request a stream: ") + e.what() + " (still trying)");
        complained = true;
      }
    }
    lock.lock();
  }
}

} // namespace disorder::playrtp
