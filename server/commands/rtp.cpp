// RTP discovery: rtp-address (disorder_protocol(5)) and rtp-sdp, an SDP
// description (RFC 4566) of the stream so that standard RTP clients
// (ffplay/ffmpeg, VLC, GStreamer) can listen; and in rtp_mode request,
// rtp-request and rtp-cancel, a unicast stream for one connection
// (rtp_requests.hpp) to where that connection may aim one
// (rtp_destination.hpp).  rtp-listeners: the latest report of each
// listener (rtp_listener_reports.hpp).
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "rtp_requests.hpp"
#include "server.hpp"
#include "split.hpp"
#include "users/user_store.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>

namespace disorder::commands {

namespace {

// The configured destination, or nullopt when the server does not send RTP
// to a fixed address (another backend, or request mode).
const NetAddress* destination(const Config& config) {
  if (config.effective_api() != "rtp" || config.rtp_mode == RtpMode::request) return nullptr;
  return config.broadcast ? &*config.broadcast : nullptr;
}

// A numeric address and port for the SDP (it cannot carry host names).
std::pair<std::string, std::string> numeric(const NetAddress& a) {
  addrinfo hints{};
  hints.ai_family = a.family;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(a.host.c_str(), a.service.c_str(), &hints, &res) != 0 || !res)
    throw UserError("cannot resolve the broadcast address " + a.host);
  char host[NI_MAXHOST], port[NI_MAXSERV];
  int rc = ::getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, port, sizeof port,
                         NI_NUMERICHOST | NI_NUMERICSERV);
  int family = res->ai_family;
  ::freeaddrinfo(res);
  if (rc != 0) throw UserError("cannot resolve the broadcast address " + a.host);
  return {std::string(family == AF_INET6 ? "IP6 " : "IP4 ") + host, port};
}

bool request_mode(const Config& config) {
  return config.effective_api() == "rtp" && config.rtp_mode == RtpMode::request;
}

bool is_multicast(const std::string& typed_host) {
  std::string host = typed_host.substr(4);
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 28) == 0xe;
  return host.rfind("ff", 0) == 0 || host.rfind("FF", 0) == 0;
}

// The addresses of this host's interfaces, which a client on the local
// socket may aim a stream at.  Read per request: interfaces come and go.
std::vector<IpAddress> host_addresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) return out; // loopback addresses still count
  for (const ifaddrs* i = list; i; i = i->ifa_next)
    if (auto a = ip_address_of(i->ifa_addr)) out.push_back(*a);
  ::freeifaddrs(list);
  return out;
}

} // namespace

void rtp_address(CommandContext& ctx, std::span<const std::string>) {
  const Config& config = ctx.server.config();
  if (request_mode(config)) {
    ctx.conn.reply(252, "- -");
    return;
  }
  const NetAddress* d = destination(config);
  if (!d) {
    ctx.conn.reply(555, "not broadcasting");
    return;
  }
  ctx.conn.reply(252, quote_field(d->host) + " " + quote_field(d->service));
}

void rtp_sdp(CommandContext& ctx, std::span<const std::string>) {
  const Config& config = ctx.server.config();
  const NetAddress* d = destination(config);
  if (!d) {
    ctx.conn.reply(555, "not broadcasting to a fixed address");
    return;
  }
  auto [host, port] = numeric(*d);
  std::string connection = "c=IN " + host;
  if (is_multicast(host) && host.rfind("IP4", 0) == 0)
    connection += "/" + std::to_string(config.multicast_ttl);
  std::vector<std::string> lines{
      "v=0", "o=- 0 0 IN " + host, "s=disorder", connection, "t=0 0",
  };
  if (config.rtp_encoding == RtpEncoding::opus) {
    // RFC 7587: always 48000/2 in the rtpmap, whatever is encoded; the
    // stream is stereo and carries in-band FEC.
    const std::string pt = std::to_string(config.rtp_opus_payload_type);
    lines.push_back("m=audio " + port + " RTP/AVP " + pt);
    lines.push_back("a=rtpmap:" + pt + " opus/48000/2");
    lines.push_back("a=fmtp:" + pt + " stereo=1; sprop-stereo=1; useinbandfec=1");
  } else {
    // The rtp backend sends 16-bit big-endian 44.1 kHz stereo, payload type
    // 10 (RFC 3551 L16/44100/2).
    lines.push_back("m=audio " + port + " RTP/AVP 10");
    lines.push_back("a=rtpmap:10 L16/44100/2");
  }
  // Where the sender reports go (RFC 3605): port+1, the default anyway.
  if (const int p = std::stoi(port); p < 65535) lines.push_back("a=rtcp:" + std::to_string(p + 1));
  lines.push_back("a=recvonly");
  ctx.conn.reply_body(253, "SDP follows", lines);
}

void rtp_request(CommandContext& ctx, std::span<const std::string> args) {
  const Config& config = ctx.server.config();
  if (!request_mode(config)) throw UserError("not in RTP request mode");
  try {
    const RtpDestination destination = parse_rtp_destination(args[1], args[2]);
    const RtpListenerOptions options = parse_rtp_listener_options(args.subspan(3));
    RtpRequester requester;
    std::vector<IpAddress> own;
    if (ctx.conn.is_local()) {
      own = host_addresses();
      requester.host_addresses = own;
    } else {
      requester.peer = ctx.conn.peer_address();
      if (!requester.peer) throw UserError("cannot tell the address you are connected from");
    }
    check_rtp_destination(destination, requester, config.rtp_request_allow);
    ctx.server.rtp_requests().request(&ctx.conn, destination, options);
  } catch (const RtpDestinationError& e) {
    throw UserError(e.what());
  }
  ctx.conn.reply(250, "OK");
}

void rtp_cancel(CommandContext& ctx, std::span<const std::string>) {
  if (ctx.server.rtp_requests().cancel(&ctx.conn))
    ctx.conn.reply(250, "OK");
  else
    ctx.conn.reply(550, "no RTP stream for this connection"); // as DisOrder answers
}

void rtp_listeners(CommandContext& ctx, std::span<const std::string>) {
  std::vector<std::string> lines;
  for (const auto& fields :
       ctx.server.rtp_listener_reports().list(std::chrono::steady_clock::now()))
    lines.push_back(quote_fields(fields));
  ctx.conn.reply_body(253, "Listeners follow", lines);
}

} // namespace disorder::commands
