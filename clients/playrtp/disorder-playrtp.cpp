// disorder-playrtp(1): plays a disorder RTP stream (or any L16 or Opus
// stream) on this host.  main() works out where the stream comes from (the command
// line, or the server), opens the socket, and composes the parts: the
// backend (shared with disorder-speaker), the Player's audio thread, the
// PacketReader and the optional remote control on the event loop, and a
// StreamRequest when the server streams only on request.
#include "audio/backend.hpp"
#include "audio/pacer.hpp"
#include "config.h"
#include "config.hpp"
#include "control_socket.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "log.hpp"
#include "monitor.hpp"
#include "options.hpp"
#include "payload_format.hpp"
#include "player.hpp"
#include "rtp_socket.hpp"
#include "socket_address.hpp"
#include "split.hpp"
#include "status.hpp"
#include "stream_request.hpp"
#include "sync_client.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace disorder;
using namespace disorder::playrtp;

namespace {

// The buffer limit when neither --max nor rtp_maxbuffer says, with the
// default target latency (Playout::kDefaultLatencyNs): 400 ms at 44.1 kHz.
constexpr long kDefaultMaxFrames = 17640;

// How much of the target latency a command or ALSA output may hold: the
// rest is the margin for packets delayed on the way.  Less makes more
// wake-ups (the output is refilled in a few pieces of it), more leaves less
// margin.
constexpr double kOutputShare = 0.4;
constexpr std::chrono::microseconds kMinOutputBuffer{2000}, kMaxOutputBuffer{50000};
// Synchronised playout: the least time a packet may take from the sender
// to our output on top of what the output holds (see own_latency_ns).
constexpr std::int64_t kNetworkMarginNs = 10'000'000;

std::chrono::microseconds output_buffer(long target_frames, std::uint32_t rate) {
  const auto us = std::chrono::microseconds(
      static_cast<std::int64_t>(kOutputShare * 1e6 * target_frames / rate));
  return std::clamp(us, kMinOutputBuffer, kMaxOutputBuffer);
}

struct Endpoint {
  bool request = false;
  std::string host; // empty: every local address
  std::string port;
  // What the server's SDP says the broadcast carries, if it was asked.
  std::optional<SdpPayload> sdp;
};

bool names_multicast(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return false;
  sockaddr_storage a{};
  std::memcpy(&a, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  return is_multicast(a);
}

Endpoint request_endpoint(const Options& o, const Config& config) {
  Endpoint e;
  e.request = true;
  e.host = !o.host.empty() ? o.host : config.rtp_request_address.host;
  e.port = !o.port.empty() ? o.port : config.rtp_request_address.service;
  if (e.port.empty()) e.port = "0";
  if (e.host.empty())
    e.host = local_address_towards_server(config, config.rtp_request_address.family);
  return e;
}

// A socket on port+1 of `rtp`'s address, or an empty Fd if it is taken.
Fd bind_next_port(const RtpSocket& rtp) {
  sockaddr_storage address = rtp.local;
  in_port_t* port = address.ss_family == AF_INET6
                        ? &reinterpret_cast<sockaddr_in6&>(address).sin6_port
                        : &reinterpret_cast<sockaddr_in&>(address).sin_port;
  if (ntohs(*port) == 65535) return Fd();
  *port = htons(static_cast<std::uint16_t>(ntohs(*port) + 1));
  Fd fd(::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw_errno("socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), rtp.local_length) < 0)
    return Fd();
  return fd;
}

// A requested stream: the RTP socket, and the one on its port+1 where the
// server sends the RTCP sender reports that the request asks for, held so
// that they reach no other program.  With a port the system chooses, pairs
// are tried until one has port+1 free; with a given port whose port+1 is
// taken, the request goes without RTCP.
struct RequestSockets {
  RtpSocket rtp;
  Fd rtcp;
};

RequestSockets open_request_sockets(const Endpoint& e, int rcvbuf) {
  const bool chosen = e.port == "0";
  for (int attempt = 0;; ++attempt) {
    RequestSockets s{open_rtp_socket(e.host, e.port, rcvbuf), Fd()};
    s.rtcp = bind_next_port(s.rtp);
    if (s.rtcp || !chosen || attempt == 31) {
      if (!s.rtcp) log_warning("port+1 of " + s.rtp.description + " is taken: no RTCP asked for");
      return s;
    }
  }
}

Endpoint choose_endpoint(const Options& o, const Config& config) {
  switch (o.source) {
  case Source::port:
    return {false, "", o.port, {}};
  case Source::address:
    return {false, o.host, o.port, {}};
  case Source::request:
    return request_endpoint(o, config);
  case Source::ask:
    break;
  }
  if (config.rtp_always_request) return request_endpoint(o, config);
  std::optional<std::pair<std::string, std::string>> where;
  try {
    where = ask_rtp_address(config);
  } catch (const Error& e) {
    throw Error(std::string("cannot find out from the server where its stream is: ") + e.what() +
                " (or give the address on the command line)");
  }
  if (!where) return request_endpoint(o, config);
  log_debug("the server broadcasts to " + where->first + " port " + where->second);
  // A group is joined; to a unicast or broadcast address, the port is enough.
  Endpoint e{false, names_multicast(where->first) ? where->first : "", where->second, {}};
  if (!o.format && !o.format_opus) e.sdp = ask_rtp_sdp(config);
  return e;
}

std::optional<std::string> control_command(std::string_view line, EventLoop& loop,
                                           playrtp::Player& player, const SyncClient* sync) {
  std::vector<std::string> words;
  try {
    words = split_fields(line);
  } catch (const SyntaxError&) {
    return std::nullopt;
  }
  if (words.empty()) return std::nullopt;
  auto volume = [&player] {
    const auto [l, r] = player.volume();
    return std::to_string(l) + " " + std::to_string(r);
  };
  if (words[0] == "stop" && words.size() == 1) {
    log_info("stopping (remote control)");
    loop.stop();
    return std::nullopt;
  }
  if (words[0] == "query" && words.size() == 1) return "running";
  if (words[0] == "status" && words.size() == 1) {
    const SyncClient::Status status = sync ? sync->status() : SyncClient::Status{};
    return status_line(player.snapshot(), sync ? &status : nullptr);
  }
  if (words[0] == "getvol" && words.size() == 1) return volume();
  if (words[0] == "setvol" && words.size() == 3) {
    try {
      player.set_volume(std::stoi(words[1]), std::stoi(words[2]));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    return volume();
  }
  return std::nullopt;
}

int run(const Options& o) {
  // A command that exits is an error return from write(), not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  const Config config = load_client_config(ConfigPaths::from_environment(o.config, o.user_config));
  if (!config.rtp_instance_name.empty()) {
    // rtp_instance_name tells apart the listeners that run side by side on
    // one host: it names this one in every log line.  Static, because the
    // log keeps the pointer until the process exits.
    static std::string program;
    program = "disorder-playrtp[" + config.rtp_instance_name + "]";
    log_setup(program.c_str(), LogSink::stderr_sink, o.debug);
  }

  // The output.
  Config output_config = config;
  output_config.api = o.api ? *o.api : o.command ? "command" : "alsa";
  if (o.device) output_config.device = *o.device;
  if (o.command) output_config.speaker_command = *o.command;
  if (o.pause_mode) output_config.pause_mode = *o.pause_mode;
  if (output_config.api == "command" && output_config.speaker_command.empty())
    throw ConfigError("--api command needs a command (--command)");

  const Endpoint endpoint = choose_endpoint(o, config);
  // What the dynamic payload types carry: the command line says, else the
  // server's SDP, else 16-bit 44.1 kHz stereo L16.  A requested Opus
  // stream comes with a dynamic type.
  AudioFormat dynamic;
  dynamic.byte_order = std::endian::big;
  bool dynamic_opus = o.format_opus || (o.encoding_opus && !o.format);
  if (o.format) {
    dynamic = *o.format;
  } else if (!dynamic_opus && endpoint.sdp) {
    dynamic_opus = endpoint.sdp->opus;
    dynamic = endpoint.sdp->format;
    log_debug("the server's SDP says payload type " + std::to_string(endpoint.sdp->pt) + " is " +
              (dynamic_opus ? std::string("Opus") : dynamic.to_string()));
  }
  if (dynamic_opus) dynamic = opus_decoded_format();
  // 0: Playout's default.  Frames are at the stream's rate, which for the
  // static payload types is 44.1 kHz.
  const long min_frames = o.min_frames ? *o.min_frames : config.rtp_minbuffer;
  const long target =
      min_frames ? min_frames : static_cast<long>(Playout::kDefaultLatencyNs * dynamic.rate / 1e9);
  long max_frames = o.max_frames           ? *o.max_frames
                    : config.rtp_maxbuffer ? config.rtp_maxbuffer
                    : min_frames           ? 2 * min_frames
                                           : kDefaultMaxFrames;
  if (max_frames < target + 4410) {
    max_frames = std::max(2 * target, target + 4410);
    log_warning("the buffer maximum must be well above the minimum; using " +
                std::to_string(max_frames) + " frames");
  }
  const long rcvbuf = o.rcvbuf ? *o.rcvbuf : config.rtp_rcvbuf;

  AudioFormat output;
  output.bits = 16;
  output.byte_order = std::endian::native;
  if (output_config.api == "command") {
    // disorder-playrtp(1): 44.1 kHz 16-bit stereo, whatever the stream.
    output.rate = 44100;
    output.channels = 2;
  } else {
    output.rate = dynamic.rate;
    output.channels = std::max<std::uint8_t>(dynamic.channels, 2);
  }
  BackendOptions backend_options;
  backend_options.buffer = output_buffer(target, dynamic.rate);
  // A command is heard when it reads (a recorder stamps the time, a player
  // starts its own buffer then): each write leaves when its first frame is
  // due, never early, and --output-delay says what follows.
  backend_options.write_when_due = true;
  std::unique_ptr<Backend> backend = make_backend(output_config, backend_options);
  RtpSocket socket;
  Fd rtcp_socket;
  bool rtcp_can_send = true;
  if (endpoint.request) {
    RequestSockets pair = open_request_sockets(endpoint, static_cast<int>(rcvbuf));
    socket = std::move(pair.rtp);
    rtcp_socket = std::move(pair.rtcp);
  } else {
    socket = open_rtp_socket(endpoint.host, endpoint.port, static_cast<int>(rcvbuf));
    // The sender reports on port+1 of the same address (the group, for
    // multicast; any of ours, for unicast and broadcast).
    const std::string port = numeric_port(socket.local, socket.local_length);
    if (port != "?" && std::stol(port) < 65535) {
      try {
        RtpSocket rtcp = open_rtp_socket(endpoint.host, std::to_string(std::stol(port) + 1), 0);
        rtcp_can_send = !is_multicast(rtcp.local);
        rtcp_socket = std::move(rtcp.fd);
      } catch (const Error& e) {
        log_warning(std::string("no RTCP on port+1 (") + e.what() + "): playing unsynchronised");
      }
    }
  }
  log_info("listening on " + socket.description + "; playing with " + output_config.api);

  playrtp::Player::Settings settings;
  settings.buffer.dynamic_format = dynamic;
  settings.buffer.dynamic_opus = dynamic_opus;
  settings.buffer.max_frames = static_cast<std::size_t>(max_frames);
  settings.playout.latency_frames = static_cast<std::size_t>(min_frames);
  settings.playout.output = output;
  settings.output_delay_ns = static_cast<std::int64_t>(o.output_delay_ms * 1e6);
  playrtp::Player player(*backend, socket.fd.get(), settings);

  EventLoop loop;
  // Synchronised playout: what this listener needs of the shared latency
  // is its own target if one was set (--min, rtp_minbuffer), and at least
  // what its output holds and delays plus a margin for the network.
  std::unique_ptr<SyncClient> sync;
  if (rtcp_socket) {
    SyncClient::Settings ss;
    ss.enabled = !o.no_sync;
    ss.trim_ns = static_cast<std::int64_t>(o.trim_ms * 1e6);
    ss.output_delay_ns = settings.output_delay_ns;
    const std::int64_t output_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(backend_options.buffer).count() +
        settings.output_delay_ns + kNetworkMarginNs;
    const std::int64_t min_ns =
        min_frames ? static_cast<std::int64_t>(min_frames * 1e9 / dynamic.rate) : 0;
    ss.own_latency_ns = std::max(min_ns, output_ns);
    ss.max_buffer_ns = static_cast<std::int64_t>(max_frames * 1e9 / dynamic.rate);
    sync = std::make_unique<SyncClient>(loop, player, rtcp_socket.get(), rtcp_can_send, ss);
    if (o.no_sync) log_info("--no-sync: playing by arrival, not on the sender's timeline");
  } else {
    log_info("no RTCP: playing by arrival, not synchronised with other listeners");
  }
  std::unique_ptr<ControlSocket> control;
  if (o.socket)
    control = std::make_unique<ControlSocket>(loop, *o.socket, [&](std::string_view line) {
      return control_command(line, loop, player, sync.get());
    });
  auto on_signal = [&loop](short) { loop.stop(); };
  auto sigterm = Event::signal(loop, SIGTERM, on_signal);
  auto sigint = Event::signal(loop, SIGINT, on_signal);
  std::unique_ptr<Event> monitor;
  if (o.monitor) {
    monitor = Event::timer(loop, [&](short) {
      log_info(monitor_line(player.snapshot(), settings.playout.latency_frames));
      monitor->add(std::chrono::seconds(1));
    });
    monitor->add(std::chrono::seconds(1));
  }

  std::unique_ptr<StreamRequest> request;
  if (endpoint.request) {
    request =
        std::make_unique<StreamRequest>(config, numeric_host(socket.local, socket.local_length),
                                        numeric_port(socket.local, socket.local_length),
                                        static_cast<bool>(rtcp_socket), o.encoding_opus);
    request->start();
  }
  player.start();
  loop.run();
  sync.reset();
  player.stop();
  request.reset(); // rtp-cancel
  const playrtp::Player::Snapshot last = player.snapshot();
  if (o.monitor) log_info(monitor_line(last, settings.playout.latency_frames));
  if (const std::string summary = loss_summary(last); !summary.empty()) log_info(summary);
  return 0;
}

} // namespace

// --status: ask the listener on --socket and print its answer readably.
int print_status(const std::string& path) {
  Fd fd;
  try {
    fd = connect_unix(path);
  } catch (const Error& e) {
    std::fprintf(stderr, "disorder-playrtp: no listener answers on %s: %s\n", path.c_str(),
                 e.what());
    return 1;
  }
  const std::string request = "status\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    std::fprintf(stderr, "disorder-playrtp: cannot ask the listener on %s\n", path.c_str());
    return 1;
  }
  std::string reply;
  const std::int64_t deadline = monotonic_ns() + 5'000'000'000;
  while (reply.find('\n') == std::string::npos) {
    const std::int64_t left = deadline - monotonic_ns();
    pollfd p{fd.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) break;
    char buffer[1024];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  const auto newline = reply.find('\n');
  if (newline == std::string::npos || newline == 0) {
    std::fprintf(stderr, "disorder-playrtp: the listener on %s did not answer\n", path.c_str());
    return 1;
  }
  reply.resize(newline);
  std::fputs(describe_status(reply).c_str(), stdout);
  return 0;
}

int main(int argc, char** argv) {
  Options options;
  try {
    switch (parse_options(argc, argv, options)) {
    case Action::help:
      print_usage(stdout);
      return 0;
    case Action::version:
      std::printf("disorder-playrtp version %s\n", PACKAGE_VERSION);
      return 0;
    case Action::status:
      return print_status(*options.socket);
    case Action::run:
      break;
    }
  } catch (const SyntaxError& e) {
    std::fprintf(stderr, "disorder-playrtp: %s\n", e.what());
    print_usage(stderr);
    return 2;
  }
  log_setup("disorder-playrtp", LogSink::stderr_sink, options.debug);
  try {
    return run(options);
  } catch (const std::exception& e) {
    log_error(e.what());
    return 1;
  }
}
