// The `rtp` backend (also `network`): L16 audio in RTP over UDP to the
// `broadcast` address, unicast, broadcast or multicast.  Each packet leaves
// at its time on CLOCK_MONOTONIC (clock_nanosleep, TIMER_ABSTIME); when
// there is nothing to send (pause, underrun, idle) nothing is sent, the
// timestamp keeps counting real time, and the next packet carries the
// marker bit.
#include "backend.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "pacer.hpp"
#include "rtp.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace disorder {

namespace {

// A gap longer than this between where the schedule is and the clock is a
// silence (the schedule restarts from now) rather than jitter to absorb.
constexpr std::int64_t kGapNs = 20'000'000;
// Send errors (nobody listening, no route) are logged this often at most.
constexpr std::int64_t kErrorLogIntervalNs = 60'000'000'000;

std::uint32_t random32() {
  std::uint32_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    // No entropy source: the clock is unpredictable enough for an SSRC.
    v = static_cast<std::uint32_t>(monotonic_ns() ^ (monotonic_ns() >> 32) ^ ::getpid());
  }
  return v;
}

bool is_multicast(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr));
  if (a.ss_family == AF_INET6)
    return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
  return false;
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

class RtpBackend final : public Backend {
public:
  RtpBackend(const Config& config, const BackendOptions& options)
      : broadcast_(config.broadcast), broadcast_from_(config.broadcast_from),
        mode_(config.rtp_mode), ttl_(config.multicast_ttl), loop_(config.multicast_loop),
        mtu_discovery_(config.rtp_mtu_discovery), max_payload_(config.rtp_max_payload),
        timestamps_(options.rtp_timestamps) {
    // Random per RFC 3550 5.1: SSRC, and the first sequence number and
    // timestamp, so that streams from restarts cannot be confused.
    ssrc_ = random32();
    sequence_ = static_cast<std::uint16_t>(random32());
    timestamp_ = random32();
    if (mode_ == RtpMode::request || !broadcast_)
      log_warning("rtp_mode request is not supported by this speaker yet: no RTP is sent");
  }
  ~RtpBackend() override { close(); }

  void open(const AudioFormat& format) override {
    format_ = format;
    payload_type_ = rtp_payload_type(format);
    bpf_ = format.bytes_per_frame();
    int family = AF_INET;
    if (broadcast_ && mode_ != RtpMode::request) {
      const Resolved to = resolve(*broadcast_, false);
      family = to.address.ss_family;
      Fd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!fd) throw BackendError(std::string("creating the RTP socket: ") + strerror(errno));
      RtpMode mode = mode_;
      if (mode == RtpMode::automatic)
        mode = is_multicast(to.address)   ? RtpMode::multicast
               : is_broadcast(to.address) ? RtpMode::broadcast
                                          : RtpMode::unicast;
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
      if (broadcast_from_) {
        NetAddress from = *broadcast_from_;
        if (from.family == AF_UNSPEC) from.family = family;
        const Resolved local = resolve(from, true);
        if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local.address), local.length) < 0)
          throw BackendError("binding the RTP socket to " + from.host + " " + from.service + ": " +
                             strerror(errno));
      }
      // Connected, so that send() is enough and ICMP errors come back.
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to.address), to.length) < 0)
        throw BackendError("connecting the RTP socket to " + broadcast_->host + " " +
                           broadcast_->service + ": " + strerror(errno));
      socket_ = std::move(fd);
      log_debug(std::string("RTP to ") + broadcast_->host + " " + broadcast_->service + " (" +
                (mode == RtpMode::multicast   ? "multicast"
                 : mode == RtpMode::broadcast ? "broadcast"
                                              : "unicast") +
                ")");
    }
    // The UDP payload: rtp_max_payload, else what fits a 1500-byte MTU
    // after the IP and UDP headers.
    const std::size_t udp_payload = max_payload_ ? static_cast<std::size_t>(*max_payload_)
                                                 : 1500 - (family == AF_INET6 ? 40 : 20) - 8;
    if (udp_payload < kRtpHeaderSize + bpf_)
      throw BackendError("rtp_max_payload " + std::to_string(udp_payload) +
                         " leaves no room for a frame");
    chunk_ = (udp_payload - kRtpHeaderSize) / bpf_;
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
  void idle() override { gap_ = true; }

  void close() override {
    socket_.reset();
    open_ = false;
  }

private:
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
    } else if (gap_ || now - next_ns() > kGapNs) {
      const std::int64_t late = now - next_ns();
      if (late > 0) {
        const auto gap_frames =
            static_cast<std::uint64_t>(static_cast<__int128>(late) * format_.rate / 1000000000);
        timestamp_ += static_cast<std::uint32_t>(gap_frames * units_per_frame());
      }
      anchor_ns_ = now;
      frames_ = 0;
      marker_ = true;
    }
    gap_ = false;
  }

  std::uint32_t units_per_frame() const {
    return timestamps_ == RtpTimestamps::samples ? format_.channels : 1u;
  }

  void advance(std::size_t frames) {
    timestamp_ += static_cast<std::uint32_t>(frames * units_per_frame());
    frames_ += frames;
    while (frames_ >= format_.rate) {
      frames_ -= format_.rate;
      anchor_ns_ += 1000000000;
    }
  }

  void send_packet(const char* samples, std::size_t frames) {
    schedule_from_now_if_late();
    sleep_until_ns(next_ns());
    RtpHeader h;
    h.marker = marker_;
    h.payload_type = payload_type_;
    h.sequence = sequence_;
    h.timestamp = timestamp_;
    h.ssrc = ssrc_;
    std::uint8_t header[kRtpHeaderSize];
    encode_rtp_header(h, header);
    if (socket_) {
      iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(samples), frames * bpf_}};
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = 2;
      if (::sendmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) send_failed(errno);
    }
    // A packet lost to a send error still uses its sequence number and
    // time: receivers see a loss, not a jump.
    ++sequence_;
    marker_ = false;
    advance(frames);
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
  RtpTimestamps timestamps_;

  AudioFormat format_;
  std::size_t bpf_ = 4;
  std::size_t chunk_ = 1;
  std::uint8_t payload_type_ = kRtpPayloadL16Stereo;
  Fd socket_;
  bool open_ = false;

  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_ = 0;
  bool marker_ = true;
  bool gap_ = false;
  bool scheduled_ = false;
  std::int64_t anchor_ns_ = 0; // when frame 0 of the schedule is due
  std::uint64_t frames_ = 0;   // frames scheduled since the anchor (< rate after normalising)

  std::uint64_t failed_sends_ = 0;
  std::int64_t last_error_log_ns_ = 0;
};

} // namespace

std::unique_ptr<Backend> make_rtp_backend(const Config& config, const BackendOptions& options) {
  return std::make_unique<RtpBackend>(config, options);
}

} // namespace disorder
