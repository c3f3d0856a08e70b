// The `rtp` backend (also `network`): L16 audio in RTP over UDP to the
// `broadcast` address, unicast, broadcast or multicast, or in rtp_mode
// request to each listener that asked (rtp_listeners.hpp).  Each packet
// leaves at its time on CLOCK_MONOTONIC (clock_nanosleep, TIMER_ABSTIME);
// when there is nothing to send (pause, underrun, idle) nothing is sent,
// the timestamp keeps counting real time, and the next packet carries the
// marker bit.  RTCP sender reports (rtcp.hpp) go to port+1 of the fixed
// destination and of each listener that asked for them, from the audio
// thread, right after a data packet, from a buffer made in advance: after
// the first packet of a stream or after a silence, after the first packet
// to a new listener, and every kReportIntervalNs while sending; a BYE when
// the output closes.  Each carries a SyncTimeline APP packet: the
// CLOCK_MONOTONIC instant of the SR's RTP timestamp on the pacing clock,
// and rtp_latency.
//
// While open, a time service thread (rtp_time_service.hpp) answers clock
// requests on the sockets RTCP leaves from and gathers the listeners'
// receiver reports, which listener_reports() hands to the speaker's loop.
//
// The timestamps count frames or samples (RtpTimestamps): the fixed
// destination gets rtp_timestamps' unit, each listener the unit it asked
// for.  Both counts run side by side from random starts, so a packet's
// header is the same but for its timestamp.
//
// The Opus stream (RFC 7587; rtp_encoding opus for the fixed destination,
// the `opus` option for a listener) has its own SSRC, sequence numbers and
// 48 kHz timestamps.  The audio thread copies each packet's audio into a
// ring (rtp_block_ring.hpp) without locking or allocating; a sender thread
// encodes it (opus_packet_encoder.hpp) and sends the Opus packets, and sends
// every packet again after each rtp_duplicate_delay from the first.  An Opus
// packet's timestamp is the instant of the L16 frames it came from on the
// same timeline (the stream's frame count, silences included, at 48 kHz),
// so the audio thread's sender reports for the Opus stream, in 48 kHz
// units, give its listeners the same timeline as the L16 ones.  The sender
// thread sends an Opus packet once its last input frame has been sent as
// L16, a frame's duration later at most.
#include "backend.hpp"
#include "big_endian.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "opus_packet_encoder.hpp"
#include "pacer.hpp"
#include "rtcp.hpp"
#include "rtp.hpp"
#include "rtp_block_ring.hpp"
#include "rtp_listeners.hpp"
#include "rtp_time_service.hpp"
#include "socket_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ifaddrs.h>
#include <map>
#include <mutex>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace disorder {

namespace {

// Send errors (nobody listening, no route) are logged this often at most.
constexpr std::int64_t kErrorLogIntervalNs = 60'000'000'000;
// RTCP sender reports while sending: every second, so that a listener
// that joins a broadcast or multicast stream finds the timeline within a
// second.  RFC 3550 6.2 allows a "reduced minimum" interval of 360 s
// divided by the session bandwidth in kbit/s, 0.26 s for L16 stereo at
// 44.1 kHz; with one sender and a fixed small report there is nothing to
// scale.
constexpr std::int64_t kReportIntervalNs = 1'000'000'000;

std::uint32_t random32() {
  std::uint32_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    // No entropy source: the clock is unpredictable enough for an SSRC.
    v = static_cast<std::uint32_t>(monotonic_ns() ^ (monotonic_ns() >> 32) ^ ::getpid());
  }
  return v;
}

// 255.255.255.255 or the broadcast address of one of our interfaces.
bool is_broadcast(const sockaddr_storage& a) {
  if (a.ss_family != AF_INET) return false;
  const in_addr_t addr = reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr;
  if (addr == htonl(INADDR_BROADCAST)) return true;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr &&
        i->ifa_broadaddr->sa_family == AF_INET &&
        reinterpret_cast<const sockaddr_in*>(i->ifa_broadaddr)->sin_addr.s_addr == addr)
      found = true;
  }
  ::freeifaddrs(list);
  return found;
}

struct Resolved {
  sockaddr_storage address{};
  socklen_t length = 0;
};

Resolved resolve(const NetAddress& a, bool passive) {
  addrinfo hints{};
  hints.ai_family = a.family;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const int rc =
      ::getaddrinfo(a.host.empty() ? nullptr : a.host.c_str(), a.service.c_str(), &hints, &result);
  if (rc != 0)
    throw BackendError("cannot resolve " + a.host + " " + a.service + ": " + gai_strerror(rc));
  Resolved r;
  std::memcpy(&r.address, result->ai_addr, result->ai_addrlen);
  r.length = result->ai_addrlen;
  ::freeaddrinfo(result);
  return r;
}

void set_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0)
    throw BackendError(std::string("setting ") + what + ": " + strerror(errno));
}

// The address with the RTCP port (RTP's plus one, RFC 3550 11), or false
// when RTP's port is the last one.
bool rtcp_address(const sockaddr* rtp, socklen_t length, sockaddr_storage& out) {
  std::memcpy(&out, rtp, std::min<std::size_t>(length, sizeof out));
  in_port_t* port = nullptr;
  if (rtp->sa_family == AF_INET)
    port = &reinterpret_cast<sockaddr_in&>(out).sin_port;
  else if (rtp->sa_family == AF_INET6)
    port = &reinterpret_cast<sockaddr_in6&>(out).sin6_port;
  if (!port || ntohs(*port) == 65535) return false;
  *port = htons(static_cast<std::uint16_t>(ntohs(*port) + 1));
  return true;
}

// user@host (RFC 3550 6.5.1), computed once, before the audio thread runs.
std::string make_cname() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) < 0 || !host[0]) std::strcpy(host, "localhost");
  std::string cname = host;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name && pw->pw_name[0])
    cname = std::string(pw->pw_name) + "@" + cname;
  if (cname.size() > kSdesItemMax) cname.resize(kSdesItemMax);
  return cname;
}

// Whether two socket addresses have the same IP address (ports aside).
bool same_host(const sockaddr* a, const sockaddr* b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
  if (a->sa_family == AF_INET6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
  return false;
}

int port_of(const sockaddr* a) {
  if (a->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(a)->sin_port);
  if (a->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(a)->sin6_port);
  return -1;
}

std::vector<std::int64_t> nanoseconds(const std::vector<std::chrono::milliseconds>& delays) {
  std::vector<std::int64_t> ns;
  for (auto d : delays)
    ns.push_back(std::chrono::nanoseconds(d).count());
  return ns;
}

std::int64_t realtime_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

class RtpBackend final : public Backend {
public:
  RtpBackend(const Config& config, const BackendOptions& options)
      : broadcast_(config.broadcast), broadcast_from_(config.broadcast_from),
        mode_(config.rtp_mode), ttl_(config.multicast_ttl), loop_(config.multicast_loop),
        mtu_discovery_(config.rtp_mtu_discovery), max_payload_(config.rtp_max_payload),
        timestamps_(options.rtp_timestamps.value_or(config.rtp_timestamps)),
        delay_threshold_frames_(config.rtp_delay_threshold),
        latency_us_(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(config.rtp_latency).count())),
        opus_fixed_(config.rtp_mode != RtpMode::request &&
                    config.rtp_encoding == RtpEncoding::opus),
        opus_bitrate_(config.rtp_opus_bitrate), opus_frame_us_(config.rtp_opus_frame_us),
        opus_payload_type_(static_cast<std::uint8_t>(config.rtp_opus_payload_type)),
        opus_loss_floor_(config.rtp_opus_loss),
        duplicate_delays_ns_(nanoseconds(config.rtp_duplicate_delay)),
        duplicate_to_(config.rtp_mode != RtpMode::request ? config.rtp_duplicate_to : std::nullopt),
        cname_(make_cname()) {
    // Random per RFC 3550 5.1: SSRC, and the first sequence number and
    // timestamps, so that streams from restarts cannot be confused.
    ssrc_ = random32();
    sequence_ = static_cast<std::uint16_t>(random32());
    timestamp_[kFramesIndex] = random32();
    timestamp_[kSamplesIndex] = random32();
    opus_ssrc_ = random32();
    if (opus_ssrc_ == ssrc_) ++opus_ssrc_;
    opus_sequence_ = static_cast<std::uint16_t>(random32());
    opus_timestamp_ = random32();
    if (mode_ != RtpMode::request && !broadcast_)
      log_warning("api rtp without a broadcast address: no RTP is sent");
  }
  ~RtpBackend() override { close(); }

  void open(const AudioFormat& format) override {
    format_ = format;
    payload_type_ = rtp_payload_type(format);
    bpf_ = format.bytes_per_frame();
    // A gap longer than rtp_delay_threshold between where the schedule is
    // and the clock is a silence (the schedule restarts from now) rather
    // than a delay to catch up.
    gap_ns_ = static_cast<std::int64_t>(delay_threshold_frames_) * 1000000000 / format.rate;
    int family = AF_INET;
    if (mode_ == RtpMode::request) {
      // Unconnected: each packet names its listener.  Without IPV6
      // (no IPv6 on this host) only IPv4 listeners are served.
      socket_ = make_socket(AF_INET, RtpMode::unicast, broadcast_from_, "RTP");
      try {
        socket6_ = make_socket(AF_INET6, RtpMode::unicast, broadcast_from_, "RTP");
        family = AF_INET6; // packets must fit either
      } catch (const BackendError& e) {
        log_debug(std::string("no IPv6 RTP listeners: ") + e.what());
      }
      log_debug("RTP to listeners that ask (request mode)");
    } else if (broadcast_) {
      const Resolved to = resolve(*broadcast_, false);
      family = to.address.ss_family;
      RtpMode mode = mode_;
      if (mode == RtpMode::automatic)
        mode = is_multicast(to.address)   ? RtpMode::multicast
               : is_broadcast(to.address) ? RtpMode::broadcast
                                          : RtpMode::unicast;
      Fd fd = make_socket(family, mode, broadcast_from_, "RTP");
      // Connected, so that send() is enough and ICMP errors come back.
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to.address), to.length) < 0)
        throw BackendError("connecting the RTP socket to " + broadcast_->host + " " +
                           broadcast_->service + ": " + strerror(errno));
      // RTCP from a socket of its own (from any port of the same local
      // address), whose send errors are ignored.  Not connected: on a
      // connected socket the ICMP "port unreachable" for a report that
      // nobody received fails the next send, so a listener that starts
      // later would miss every other report.
      if (rtcp_address(reinterpret_cast<const sockaddr*>(&to.address), to.length, rtcp_to_)) {
        std::optional<NetAddress> from = broadcast_from_;
        if (from) from->service = "0";
        rtcp_socket_ = make_socket(family, mode, from, "RTCP");
        rtcp_to_length_ = to.length;
      }
      socket_ = std::move(fd);
      log_debug(std::string("RTP to ") + broadcast_->host + " " + broadcast_->service + " (" +
                (mode == RtpMode::multicast   ? "multicast"
                 : mode == RtpMode::broadcast ? "broadcast"
                                              : "unicast") +
                (opus_fixed_ ? ", Opus" : "") + ")");
      if (duplicate_to_) open_duplicate_destination();
    }
    // The UDP payload: rtp_max_payload, else what fits a 1500-byte MTU
    // after the IP and UDP headers (IPv6's when IPv6 listeners may ask).
    const std::size_t udp_payload = max_payload_ ? static_cast<std::size_t>(*max_payload_)
                                                 : 1500 - (family == AF_INET6 ? 40 : 20) - 8;
    if (udp_payload < kRtpHeaderSize + bpf_)
      throw BackendError("rtp_max_payload " + std::to_string(udp_payload) +
                         " leaves no room for a frame");
    chunk_ = (udp_payload - kRtpHeaderSize) / bpf_;
    start_sender(); // before the time service, which sets its loss hint
    start_time_service();
    open_ = true;
    scheduled_ = false;
    marker_ = true;
  }

  bool is_open() const override { return open_; }
  std::size_t chunk_frames() const override { return chunk_; }

  void play(std::span<const char> frames) override {
    std::size_t n = frames.size() / bpf_;
    const char* p = frames.data();
    while (n > 0) {
      const std::size_t k = std::min(n, chunk_);
      send_packet(p, k);
      p += k * bpf_;
      n -= k;
    }
  }

  // Nothing is sent: the timestamp and the schedule move on, and the next
  // packet is marked as the first after a silence.
  void silence(std::size_t frames) override {
    schedule_from_now_if_late();
    advance(frames);
    marker_ = true;
    sleep_until_ns(next_ns());
  }

  void resume() override { gap_ = true; }
  std::uint64_t skipped_frames() const override { return skipped_frames_; }
  void idle() override { gap_ = true; }

  void close() override {
    // Receivers learn that the stream ends (RFC 3550 6.6).
    if (open_ && packets_ > 0) send_reports(true, true, 0);
    time_service_.reset(); // before the sockets it reads
    stop_sender();         // before the sockets it sends on
    socket_.reset();
    socket6_.reset();
    rtcp_socket_.reset();
    duplicate_socket_.reset();
    open_ = false;
  }

  void add_listener(const std::string& key, const std::string& host, const std::string& port,
                    std::span<const std::string> options) override {
    if (mode_ != RtpMode::request)
      throw Error("rtp_mode is not request: the stream does not go to listeners that ask");
    if (key.empty()) throw Error("an empty listener key");
    // No option: DisOrder's listener (samples, no RTCP).
    std::uint32_t bits = 0;
    for (const std::string& o : options) {
      if (o == "frames") {
        bits |= RtpListeners::kFrames;
      } else if (o == "samples") {
        bits &= ~RtpListeners::kFrames;
      } else if (o == "rtcp") {
        bits |= RtpListeners::kRtcp;
      } else if (o == "opus") {
        bits |= RtpListeners::kOpus;
      } else {
        throw Error("unknown listener option " + o);
      }
    }
    std::string described = (bits & RtpListeners::kOpus)     ? "Opus"
                            : (bits & RtpListeners::kFrames) ? "frames"
                                                             : "samples";
    if (bits & RtpListeners::kRtcp) described += ", RTCP";
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV; // nothing here may block
    addrinfo* result = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0)
      throw Error("listener " + host + " " + port +
                  " is not a numeric address and port: " + gai_strerror(rc));
    const bool added = listeners_.set(key, result->ai_addr, result->ai_addrlen, bits);
    if (added) {
      std::lock_guard lock(units_mutex_);
      Known& k = known_[key];
      std::memcpy(&k.address, result->ai_addr,
                  std::min<std::size_t>(result->ai_addrlen, sizeof k.address));
      k.options = bits;
    }
    ::freeaddrinfo(result);
    if (!added)
      throw Error("too many RTP listeners (at most " + std::to_string(RtpListeners::kSlots) + ")");
    log_info("RTP listener " + key + ": " + host + " " + port + " (" + described + ")");
  }

  void remove_listener(const std::string& key) override {
    if (listeners_.remove(key)) log_info("RTP listener " + key + " gone");
    std::lock_guard lock(units_mutex_);
    known_.erase(key);
  }

  ListenerReportQueue* listener_reports() override { return &reports_; }

private:
  // Audio thread, from open(): the time service on the sockets RTCP leaves
  // from.  Without it the stream still plays (listeners are then not
  // synchronised), so a failure is logged, not thrown.
  void start_time_service() {
    std::vector<int> fds;
    if (mode_ == RtpMode::request) {
      for (const Fd* fd : {&socket_, &socket6_})
        if (*fd) fds.push_back(fd->get());
    } else if (rtcp_socket_) {
      fds.push_back(rtcp_socket_.get());
    }
    if (fds.empty()) return;
    const std::uint32_t rate = format_.rate, channels = format_.channels;
    const bool request = mode_ == RtpMode::request;
    const std::uint32_t fixed_units =
        opus_fixed_ ? OpusPacketEncoder::kRate
                    : rate * (timestamps_ == RtpTimestamps::samples ? channels : 1u);
    auto units_of = [this, rate, channels, request, fixed_units](const sockaddr* from,
                                                                 socklen_t) -> std::uint32_t {
      if (!request) return fixed_units;
      // The listener on the same host whose RTP port is the report's
      // source port less one (its RTCP port), or the same port; else any
      // on the same host; else frames, as our own listener asks.
      std::lock_guard lock(units_mutex_);
      const Known* best = nullptr;
      for (const auto& [key, k] : known_) {
        const auto* a = reinterpret_cast<const sockaddr*>(&k.address);
        if (!same_host(a, from)) continue;
        const int port = port_of(a), source = port_of(from);
        if (port == source || port + 1 == source) {
          best = &k;
          break;
        }
        if (!best) best = &k;
      }
      const bool samples = best && !(best->options & RtpListeners::kFrames);
      return rate * (samples ? channels : 1u);
    };
    try {
      // The Opus stream's reports count in 48 kHz units and set the FEC
      // hint (worst_loss_).
      time_service_ = std::make_unique<RtpTimeService>(
          fds, opus_fixed_ ? opus_ssrc_ : ssrc_, units_of, reports_,
          RtpTimeService::OpusReports{opus_ssrc_, OpusPacketEncoder::kRate, &worst_loss_});
    } catch (const Error& e) {
      log_error(std::string("no RTP time service: ") + e.what());
    }
  }

  // A UDP socket for `mode`, bound to `from` if given.
  Fd make_socket(int family, RtpMode mode, const std::optional<NetAddress>& from_address,
                 const char* what) {
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd)
      throw BackendError(std::string("creating the ") + what + " socket: " + strerror(errno));
    if (mode == RtpMode::broadcast)
      set_option(fd.get(), SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
    if (mode == RtpMode::multicast) {
      if (family == AF_INET6) {
        set_option(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl_, "IPV6_MULTICAST_HOPS");
        set_option(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop_, "IPV6_MULTICAST_LOOP");
      } else {
        set_option(fd.get(), IPPROTO_IP, IP_MULTICAST_TTL, ttl_, "IP_MULTICAST_TTL");
        set_option(fd.get(), IPPROTO_IP, IP_MULTICAST_LOOP, loop_, "IP_MULTICAST_LOOP");
      }
    }
    if (family == AF_INET && mtu_discovery_ != MtuDiscovery::system_default)
      set_option(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER,
                 mtu_discovery_ == MtuDiscovery::yes ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT,
                 "IP_MTU_DISCOVER");
    if (from_address) {
      NetAddress from = *from_address;
      if (from.family == AF_UNSPEC) from.family = family;
      const Resolved local = resolve(from, true);
      if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local.address), local.length) < 0)
        throw BackendError(std::string("binding the ") + what + " socket to " + from.host + " " +
                           from.service + ": " + strerror(errno));
    }
    return fd;
  }

  std::int64_t next_ns() const {
    return anchor_ns_ + static_cast<std::int64_t>(frames_ * 1000000000ull / format_.rate);
  }

  // Start the schedule, or restart it after a silence: the timestamp
  // advances by the time that passed, so that receivers can tell a gap.
  void schedule_from_now_if_late() {
    const std::int64_t now = monotonic_ns();
    if (!scheduled_) {
      anchor_ns_ = now;
      frames_ = 0;
      scheduled_ = true;
      marker_ = true;
    } else if (gap_ || now - next_ns() > gap_ns_) {
      const std::int64_t late = now - next_ns();
      if (late > 0) {
        const auto gap_frames =
            static_cast<std::uint64_t>(static_cast<__int128>(late) * format_.rate / 1000000000);
        count_timestamps(gap_frames);
        // Not after a pause or a silence: held up while playing.
        if (!gap_) skipped_frames_ += gap_frames;
      }
      anchor_ns_ = now;
      frames_ = 0;
      marker_ = true;
    }
    gap_ = false;
  }

  static constexpr std::size_t kFramesIndex = 0, kSamplesIndex = 1, kOpusIndex = 2;
  static std::size_t index_of(RtpTimestamps unit) {
    return unit == RtpTimestamps::samples ? kSamplesIndex : kFramesIndex;
  }
  static std::size_t index_of_listener(std::uint32_t options) {
    return (options & RtpListeners::kFrames) ? kFramesIndex : kSamplesIndex;
  }
  std::uint32_t units_per_frame(std::size_t index) const {
    return index == kSamplesIndex ? format_.channels : 1u;
  }
  // Both timestamps move on by `frames`.
  void count_timestamps(std::uint64_t frames) {
    for (std::size_t u : {kFramesIndex, kSamplesIndex})
      timestamp_[u] += static_cast<std::uint32_t>(frames * units_per_frame(u));
    position_ += frames;
  }

  // The Opus stream's timestamp at the stream position `position` (in
  // frames at the stream's rate): the same instant at 48 kHz, less the
  // encoder's delay (opus_packet_encoder.hpp).
  std::uint32_t opus_timestamp_at(std::int64_t position) const {
    const auto at48 = static_cast<std::int64_t>(static_cast<__int128>(position) *
                                                OpusPacketEncoder::kRate / format_.rate);
    return opus_timestamp_ + static_cast<std::uint32_t>(at48) - opus_lookahead_;
  }

  void advance(std::size_t frames) {
    count_timestamps(frames);
    frames_ += frames;
    while (frames_ >= format_.rate) {
      frames_ -= format_.rate;
      anchor_ns_ += 1000000000;
    }
  }

  void send_packet(const char* samples, std::size_t frames) {
    schedule_from_now_if_late();
    sleep_until_ns(next_ns());
    // The header in each unit; they differ only in the timestamp.
    std::uint8_t headers[2][kRtpHeaderSize];
    for (std::size_t u : {kFramesIndex, kSamplesIndex}) {
      RtpHeader h;
      h.marker = marker_;
      h.payload_type = payload_type_;
      h.sequence = sequence_;
      h.timestamp = timestamp_[u];
      h.ssrc = ssrc_;
      encode_rtp_header(h, headers[u]);
    }
    iovec iov[2] = {{headers[index_of(timestamps_)], kRtpHeaderSize},
                    {const_cast<char*>(samples), frames * bpf_}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    std::uint64_t fresh = 0;            // listeners that get their first packet now
    bool opus = opus_fixed_ && socket_; // someone gets the Opus stream
    bool l16 = false;                   // someone got this L16 packet
    if (mode_ == RtpMode::request) {
      listeners_.for_each([&](std::size_t i, const sockaddr* to, socklen_t length,
                              std::uint32_t options, bool first) {
        if (first) fresh |= std::uint64_t{1} << i;
        if (options & RtpListeners::kOpus) {
          opus = true; // the sender thread's
          return;
        }
        const int fd = to->sa_family == AF_INET6 ? socket6_.get() : socket_.get();
        if (fd < 0) return;
        iov[0].iov_base = headers[index_of_listener(options)];
        msg.msg_name = const_cast<sockaddr*>(to);
        msg.msg_namelen = length;
        if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) send_failed(errno);
        l16 = true;
      });
    } else if (socket_ && !opus_fixed_) {
      if (::sendmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) send_failed(errno);
      if (duplicate_socket_) {
        msg.msg_name = &duplicate_to_address_;
        msg.msg_namelen = duplicate_to_length_;
        if (::sendmsg(duplicate_socket_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
          send_failed(errno);
      }
      l16 = true;
    }
    const bool copy = l16 && !duplicate_delays_ns_.empty();
    if (ring_ && (opus || copy)) {
      RtpBlock block;
      block.sent_ns = monotonic_ns();
      block.position = position_;
      block.bytes = static_cast<std::uint32_t>(frames * bpf_);
      block.sequence = sequence_;
      block.timestamp[kFramesIndex] = timestamp_[kFramesIndex];
      block.timestamp[kSamplesIndex] = timestamp_[kSamplesIndex];
      block.marker = marker_;
      block.opus = opus;
      block.l16_copy = copy;
      if (ring_->push(block, samples)) {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
      } else {
        ring_full();
      }
    }
    // A packet lost to a send error still uses its sequence number and
    // time: receivers see a loss, not a jump.  The counts are the
    // stream's, whoever received it.
    ++sequence_;
    ++packets_;
    octets_ += static_cast<std::uint32_t>(frames * bpf_);
    const bool first_after_silence = marker_;
    marker_ = false;
    advance(frames);
    const std::int64_t now = monotonic_ns();
    const bool due = first_after_silence || now >= next_report_ns_;
    if (due) next_report_ns_ = now + kReportIntervalNs;
    if (due || fresh) send_reports(false, due, fresh);
  }

  // The RTCP compound packet for this instant (an SR and our CNAME, and a
  // BYE if bye), to port+1 of the fixed destination (and of the duplicate
  // destination) and of every listener that asked for RTCP (all) or of
  // those in `only` (a bit per slot), with the RTP timestamp in each one's
  // unit, or the Opus stream's report to those that get the Opus stream.
  // Send errors are ignored: nobody need listen to RTCP.
  void send_reports(bool bye, bool all, std::uint64_t only) {
    // The RTP timestamp of this instant on the pacing clock: timestamp_ is
    // due at next_ns(), and the timestamp advances by the frames that
    // fit between the two at the nominal rate.  CLOCK_REALTIME is read
    // right beside CLOCK_MONOTONIC for the NTP time of the same instant.
    RtcpSenderInfo info;
    info.ntp = ntp_from_unix_ns(realtime_ns());
    const std::int64_t now = monotonic_ns();
    // The same instant on CLOCK_MONOTONIC, which listeners' clock
    // exchanges measure against.
    SyncTimeline timeline;
    timeline.sender_ns = now;
    timeline.latency_us = latency_us_;
    const auto frames = static_cast<std::int64_t>(static_cast<__int128>(now - next_ns()) *
                                                  format_.rate / 1000000000);
    info.ssrc = ssrc_;
    info.packet_count = packets_;
    info.octet_count = octets_;
    std::size_t sizes[3] = {};
    for (std::size_t u : {kFramesIndex, kSamplesIndex, kOpusIndex}) {
      if (u == kOpusIndex) {
        if (!ring_) break; // no Opus stream
        info.ssrc = opus_ssrc_;
        info.packet_count = opus_packets_.load(std::memory_order_relaxed);
        info.octet_count = opus_octets_.load(std::memory_order_relaxed);
        info.rtp_timestamp = opus_timestamp_at(static_cast<std::int64_t>(position_) + frames);
      } else {
        info.rtp_timestamp =
            timestamp_[u] +
            static_cast<std::uint32_t>(frames * static_cast<std::int64_t>(units_per_frame(u)));
      }
      try {
        sizes[u] = bye ? encode_rtcp_bye(info, cname_, timeline, rtcp_buffers_[u])
                       : encode_rtcp_sender_report(info, cname_, timeline, rtcp_buffers_[u]);
      } catch (const Error&) {
        return; // cannot happen: the buffer fits the longest CNAME
      }
    }
    if (rtcp_socket_ && all) {
      const std::size_t u = opus_fixed_ ? kOpusIndex : index_of(timestamps_);
      if (sizes[u] == 0) return;
      [[maybe_unused]] ssize_t n = ::sendto(
          rtcp_socket_.get(), rtcp_buffers_[u].data(), sizes[u], MSG_DONTWAIT | MSG_NOSIGNAL,
          reinterpret_cast<const sockaddr*>(&rtcp_to_), rtcp_to_length_);
      if (duplicate_socket_ && duplicate_rtcp_length_)
        n = ::sendto(
            duplicate_socket_.get(), rtcp_buffers_[u].data(), sizes[u], MSG_DONTWAIT | MSG_NOSIGNAL,
            reinterpret_cast<const sockaddr*>(&duplicate_rtcp_to_), duplicate_rtcp_length_);
    }
    if (mode_ != RtpMode::request) return;
    listeners_.for_each(
        [&](std::size_t i, const sockaddr* to, socklen_t length, std::uint32_t options, bool) {
          if (!(options & RtpListeners::kRtcp)) return; // DisOrder's listener: nothing on port+1
          if (!all && !(only & (std::uint64_t{1} << i))) return;
          const int fd = to->sa_family == AF_INET6 ? socket6_.get() : socket_.get();
          sockaddr_storage rtcp_to;
          if (fd < 0 || !rtcp_address(to, length, rtcp_to)) return;
          const std::size_t u =
              (options & RtpListeners::kOpus) ? kOpusIndex : index_of_listener(options);
          if (sizes[u] == 0) return;
          [[maybe_unused]] ssize_t n =
              ::sendto(fd, rtcp_buffers_[u].data(), sizes[u], MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&rtcp_to), length);
        });
  }

  // Audio thread: the sender thread fell behind by a whole ring.  Logged
  // once a minute at most, like send errors.
  void ring_full() {
    ++ring_drops_;
    const std::int64_t now = monotonic_ns();
    if (last_ring_log_ns_ != 0 && now - last_ring_log_ns_ < kErrorLogIntervalNs) return;
    last_ring_log_ns_ = now;
    log_warning("RTP sender thread behind: " + std::to_string(ring_drops_) +
                " packet(s) not encoded or duplicated since the last report");
    ring_drops_ = 0;
  }

  // --------------------------------------------------- the sender thread

  // Audio thread, from open(): rtp_duplicate_to's socket, unconnected (its
  // errors must not fail the main destination's sends).
  void open_duplicate_destination() {
    const Resolved to = resolve(*duplicate_to_, false);
    RtpMode mode = mode_;
    if (mode == RtpMode::automatic || is_multicast(to.address) != (mode == RtpMode::multicast))
      mode = is_multicast(to.address)   ? RtpMode::multicast
             : is_broadcast(to.address) ? RtpMode::broadcast
                                        : RtpMode::unicast;
    std::optional<NetAddress> from = broadcast_from_;
    if (from) from->service = "0";
    duplicate_socket_ = make_socket(to.address.ss_family, mode, from, "duplicate RTP");
    std::memcpy(&duplicate_to_address_, &to.address, sizeof to.address);
    duplicate_to_length_ = to.length;
    duplicate_rtcp_length_ =
        rtcp_address(reinterpret_cast<const sockaddr*>(&to.address), to.length, duplicate_rtcp_to_)
            ? to.length
            : 0;
    log_debug("RTP also to " + duplicate_to_->host + " " + duplicate_to_->service);
  }

  // Audio thread, from open(): the ring, the encoder and the sender thread,
  // when the Opus stream or duplicates may be wanted.
  void start_sender() {
    const bool request = mode_ == RtpMode::request;
    if (!(request || opus_fixed_ || !duplicate_delays_ns_.empty()) || !(socket_ || socket6_))
      return;
    if (request || opus_fixed_) {
      try {
        encoder_ = std::make_unique<OpusPacketEncoder>(format_, opus_bitrate_, opus_frame_us_);
        opus_lookahead_ = encoder_->lookahead();
      } catch (const Error& e) {
        if (opus_fixed_) throw BackendError(std::string("rtp_encoding opus: ") + e.what());
        log_warning(std::string("no Opus stream for listeners: ") + e.what());
      }
    }
    opus_continues_ = false; // a new segment after a reopening
    const std::size_t block = chunk_ * bpf_;
    ring_ = std::make_unique<RtpBlockRing>(block <= 16384 ? 256 : 32, block);
    wake_ = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    stop_ = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_ || !stop_) throw BackendError(std::string("eventfd: ") + strerror(errno));
    // Signals are for the loop thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // Real-time, just below the audio thread, when the audio thread is: a
    // busy machine then delays neither the Opus packets nor the copies.
    const bool realtime = has_realtime_priority();
    try {
      sender_ = std::thread([this, realtime] { sender_run(realtime); });
    } catch (const std::system_error& e) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw BackendError(std::string("starting the RTP sender thread: ") + e.what());
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void stop_sender() {
    if (sender_.joinable()) {
      const std::uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(stop_.get(), &one, sizeof one);
      sender_.join();
    }
    ring_.reset();
    encoder_.reset();
    wake_.reset();
    stop_.reset();
  }

  // A packet the sender thread sends again when due; by the instant
  // (CLOCK_MONOTONIC, ns) it is due.
  struct Copy {
    bool opus = false;
    std::uint32_t samples_timestamp =
        0; // L16: the timestamp in samples (the header's is in frames)
    std::vector<std::uint8_t> packet;
  };
  using Copies = std::multimap<std::int64_t, Copy>; // equal instants in order

  // Sender thread: the Opus stream, and the second copies.  Waits on the
  // audio thread's wake-ups, or until the next copy is due.
  void sender_run(bool realtime) {
    pthread_setname_np(pthread_self(), "rtp-send");
    if (realtime) request_realtime_priority("RTP sender thread", kAudioRealtimePriority - 1);
    Copies copies;
    pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    for (;;) {
      timespec wait{}, *timeout = nullptr;
      if (!copies.empty()) {
        const std::int64_t ns = std::max<std::int64_t>(copies.begin()->first - monotonic_ns(), 0);
        wait.tv_sec = ns / 1000000000;
        wait.tv_nsec = ns % 1000000000;
        timeout = &wait;
      }
      if (::ppoll(fds, 2, timeout, nullptr) < 0 && errno != EINTR) {
        log_error(std::string("RTP sender thread: poll: ") + strerror(errno));
        return;
      }
      if (fds[0].revents) return;
      std::uint64_t count;
      [[maybe_unused]] ssize_t n = ::read(wake_.get(), &count, sizeof count);
      std::span<const std::uint8_t> audio;
      while (const RtpBlock* block = ring_->front(audio)) {
        try {
          handle_block(*block, audio, copies);
        } catch (const std::exception& e) {
          log_error(std::string("RTP sender thread: ") + e.what());
          opus_continues_ = false;
        }
        ring_->pop();
      }
      const std::int64_t now = monotonic_ns();
      while (!copies.empty() && copies.begin()->first <= now) {
        const Copy& c = copies.begin()->second;
        send_stream(c.opus, c.packet, c.samples_timestamp);
        copies.erase(copies.begin());
      }
    }
  }

  // Sender thread: one block from the audio thread.
  void handle_block(const RtpBlock& block, std::span<const std::uint8_t> audio, Copies& copies) {
    if (block.l16_copy) {
      Copy c;
      c.samples_timestamp = block.timestamp[kSamplesIndex];
      c.packet.resize(kRtpHeaderSize + audio.size());
      RtpHeader h;
      h.marker = block.marker;
      h.payload_type = payload_type_;
      h.sequence = block.sequence;
      h.timestamp =
          block.timestamp[mode_ == RtpMode::request ? kFramesIndex : index_of(timestamps_)];
      h.ssrc = ssrc_;
      encode_rtp_header(h, c.packet);
      std::memcpy(c.packet.data() + kRtpHeaderSize, audio.data(), audio.size());
      schedule_copies(copies, block.sent_ns, c);
    }
    if (!block.opus || !encoder_) {
      opus_continues_ = false;
      return;
    }
    // A new segment after a silence, a gap in what the ring passed on, or
    // a time nobody wanted the Opus stream.
    if (!opus_continues_ || block.position != opus_next_position_) {
      encoder_->reset();
      opus_segment_position_ = block.position;
      opus_marker_ = true;
      opus_continues_ = true;
    }
    opus_next_position_ = block.position + block.bytes / bpf_;
    const int hint =
        std::clamp(std::max(worst_loss_.load(std::memory_order_relaxed), opus_loss_floor_), 0, 30);
    if (hint != encoder_->loss_percent()) {
      encoder_->set_loss_percent(hint);
      log_debug("Opus FEC prepared for " + std::to_string(hint) + "% loss");
    }
    const std::uint32_t start =
        opus_timestamp_at(static_cast<std::int64_t>(opus_segment_position_));
    encoder_->push(audio, [&](std::span<const std::uint8_t> payload, std::uint64_t k) {
      opus_packet_.resize(kRtpHeaderSize + payload.size());
      RtpHeader h;
      h.marker = opus_marker_;
      h.payload_type = opus_payload_type_;
      h.sequence = opus_sequence_++;
      h.timestamp = start + static_cast<std::uint32_t>(k * encoder_->frame_samples());
      h.ssrc = opus_ssrc_;
      encode_rtp_header(h, opus_packet_);
      std::memcpy(opus_packet_.data() + kRtpHeaderSize, payload.data(), payload.size());
      opus_marker_ = false;
      send_stream(true, opus_packet_, 0);
      opus_packets_.fetch_add(1, std::memory_order_relaxed);
      opus_octets_.fetch_add(static_cast<std::uint32_t>(payload.size()), std::memory_order_relaxed);
      if (!duplicate_delays_ns_.empty())
        schedule_copies(copies, monotonic_ns(), Copy{true, 0, opus_packet_});
    });
  }

  // Sender thread: `c` again after each of the duplicate delays from
  // sent_ns.
  void schedule_copies(Copies& copies, std::int64_t sent_ns, const Copy& c) {
    for (const std::int64_t delay : duplicate_delays_ns_)
      copies.emplace(sent_ns + delay, c);
  }

  // Sender thread: a whole packet of the Opus stream or (a second copy)
  // of the L16 one, to where that stream goes now.  An L16 packet's header
  // carries the timestamp in frames in request mode; listeners counting
  // samples get samples_timestamp.
  void send_stream(bool opus, std::span<const std::uint8_t> packet,
                   std::uint32_t samples_timestamp) {
    if (mode_ != RtpMode::request) {
      if (opus != opus_fixed_) return;
      if (socket_ &&
          ::send(socket_.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        ++sender_failures_;
      if (duplicate_socket_ && ::sendto(duplicate_socket_.get(), packet.data(), packet.size(),
                                        MSG_DONTWAIT | MSG_NOSIGNAL,
                                        reinterpret_cast<const sockaddr*>(&duplicate_to_address_),
                                        duplicate_to_length_) < 0)
        ++sender_failures_;
      return;
    }
    std::array<std::uint8_t, 4> samples_bytes;
    put32(samples_bytes.data(), samples_timestamp);
    listeners_.for_each(
        RtpListeners::kSenderReader,
        [&](std::size_t, const sockaddr* to, socklen_t length, std::uint32_t options, bool) {
          if (bool(options & RtpListeners::kOpus) != opus) return;
          const int fd = to->sa_family == AF_INET6 ? socket6_.get() : socket_.get();
          if (fd < 0) return;
          iovec iov[3] = {{const_cast<std::uint8_t*>(packet.data()), 4},
                          {const_cast<std::uint8_t*>(packet.data()) + 4, 4},
                          {const_cast<std::uint8_t*>(packet.data()) + 8, packet.size() - 8}};
          if (!opus && !(options & RtpListeners::kFrames)) iov[1].iov_base = samples_bytes.data();
          msghdr msg{};
          msg.msg_iov = iov;
          msg.msg_iovlen = 3;
          msg.msg_name = const_cast<sockaddr*>(to);
          msg.msg_namelen = length;
          if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) ++sender_failures_;
        });
  }

  // Nobody listening (ECONNREFUSED), no route, a full queue: expected on a
  // LAN, so logged once a minute at most, with how many were lost.
  void send_failed(int error) {
    ++failed_sends_;
    const std::int64_t now = monotonic_ns();
    if (last_error_log_ns_ != 0 && now - last_error_log_ns_ < kErrorLogIntervalNs) return;
    last_error_log_ns_ = now;
    log_warning("sending RTP: " + std::string(strerror(error)) + " (" +
                std::to_string(failed_sends_) + " packet(s) not sent since the last report)");
    failed_sends_ = 0;
  }

  std::optional<NetAddress> broadcast_, broadcast_from_;
  RtpMode mode_;
  int ttl_;
  bool loop_;
  MtuDiscovery mtu_discovery_;
  std::optional<int> max_payload_;
  RtpTimestamps timestamps_; // the fixed destination's unit
  int delay_threshold_frames_;
  std::int64_t gap_ns_ = 20'000'000;
  std::uint64_t skipped_frames_ = 0; // see skipped_frames()
  std::uint32_t latency_us_;         // rtp_latency
  // The Opus stream (for the fixed destination if opus_fixed_) and the
  // second copies.
  const bool opus_fixed_;
  const int opus_bitrate_, opus_frame_us_;
  const std::uint8_t opus_payload_type_;
  const int opus_loss_floor_;
  const std::vector<std::int64_t> duplicate_delays_ns_; // empty: no copies
  const std::optional<NetAddress> duplicate_to_;

  const std::string cname_;

  AudioFormat format_;
  std::size_t bpf_ = 4;
  std::size_t chunk_ = 1;
  std::uint8_t payload_type_ = kRtpPayloadL16Stereo;
  // Request mode: socket_ (IPv4) and socket6_, unconnected, for RTP and
  // RTCP.  Otherwise socket_ is connected to the destination and
  // rtcp_socket_ sends to its port+1, rtcp_to_.
  Fd socket_, socket6_, rtcp_socket_;
  sockaddr_storage rtcp_to_{};
  socklen_t rtcp_to_length_ = 0;
  // rtp_duplicate_to: unconnected, to duplicate_to_address_ and RTCP to
  // its port+1 (duplicate_rtcp_length_ 0: none).
  Fd duplicate_socket_;
  sockaddr_storage duplicate_to_address_{}, duplicate_rtcp_to_{};
  socklen_t duplicate_to_length_ = 0, duplicate_rtcp_length_ = 0;
  bool open_ = false;
  // Loop thread writes, audio thread reads (lock-free).
  RtpListeners listeners_;
  static_assert(RtpListeners::kSlots <= 64, "send_packet keeps a bit per listener");

  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_[2] = {}; // kFramesIndex, kSamplesIndex
  bool marker_ = true;
  bool gap_ = false;
  bool scheduled_ = false;
  std::int64_t anchor_ns_ = 0; // when frame 0 of the schedule is due
  std::uint64_t frames_ = 0;   // frames scheduled since the anchor (< rate after normalising)
  // Frames since the backend was made, silences included: the Opus
  // stream's timeline.
  std::uint64_t position_ = 0;
  std::uint64_t ring_drops_ = 0;
  std::int64_t last_ring_log_ns_ = 0;

  // The Opus stream.  Set before the sender thread starts: the SSRC, the
  // random timestamp at position 0, the encoder's delay.
  std::uint32_t opus_ssrc_ = 0;
  std::uint32_t opus_timestamp_ = 0;
  std::uint32_t opus_lookahead_ = 0;
  // Sender thread writes, audio thread reads for its sender reports.
  std::atomic<std::uint32_t> opus_packets_{0}, opus_octets_{0};
  // Time service thread writes, sender thread reads: the worst loss (%)
  // that the Opus stream's listeners report lately.
  std::atomic<int> worst_loss_{0};
  // Sender thread only.
  std::unique_ptr<OpusPacketEncoder> encoder_;
  std::uint16_t opus_sequence_ = 0;
  bool opus_continues_ = false, opus_marker_ = true;
  std::uint64_t opus_segment_position_ = 0, opus_next_position_ = 0;
  std::vector<std::uint8_t> opus_packet_;
  std::uint64_t sender_failures_ = 0; // expected on a LAN; not logged
  // Audio thread writes the ring and wake_, sender thread reads them;
  // stop_ ends the sender thread.
  std::unique_ptr<RtpBlockRing> ring_;
  Fd wake_, stop_;
  std::thread sender_;

  std::uint64_t failed_sends_ = 0;
  std::int64_t last_error_log_ns_ = 0;

  // RTCP (audio thread).  The counts wrap, as RFC 3550 6.4.1 allows.
  std::uint32_t packets_ = 0;
  std::uint32_t octets_ = 0;
  std::int64_t next_report_ns_ = 0;
  std::array<std::uint8_t, 512> rtcp_buffers_[3]{}; // frames, samples, Opus
  // SR 28, SDES with the longest CNAME 268, BYE 8, SyncTimeline.
  static_assert(512 >= 28 + 4 + (4 + 2 + kSdesItemMax + 1 + 3) / 4 * 4 + 8 + kSyncTimelineSize);
  static_assert(sizeof(RtpBlock::timestamp) / sizeof(std::uint32_t) == 2);

  // Listeners' reports, from the time service thread to the loop thread.
  ListenerReportQueue reports_;
  // Request mode: each listener's address and options as add_listener()
  // set them (loop thread), which the time service thread reads to tell a
  // report's timestamp unit.
  struct Known {
    sockaddr_storage address{};
    std::uint32_t options = 0;
  };
  std::mutex units_mutex_;
  std::map<std::string, Known> known_;
  // Declared last: destroyed first, before anything its thread uses.
  std::unique_ptr<RtpTimeService> time_service_;
};

} // namespace

std::unique_ptr<Backend> make_rtp_backend(const Config& config, const BackendOptions& options) {
  return std::make_unique<RtpBackend>(config, options);
}

} // namespace disorder
