// The jukebox's RTP stream and track names for disorder-web's audio stream
// (stream_source.hpp).
#include "web/stream_source.hpp"

#include "error.hpp"
#include "log.hpp"
#include "split.hpp"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace disorder::web {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kLongestRetry = std::chrono::milliseconds(30000);
constexpr auto kTick = std::chrono::milliseconds(40);
// Without a packet for this long the stream is silent (paused, idle, or
// disorderd gone) and the source fills it with silence in real time.
constexpr auto kQuiet = std::chrono::milliseconds(300);
constexpr int kPayloadStereo = 10, kPayloadMono = 11;

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list) ::freeaddrinfo(list);
  }
};

std::string numeric_host(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST];
  if (::getnameinfo(sa, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) return {};
  return host;
}

bool is_multicast(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr));
  if (sa->sa_family == AF_INET6)
    return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  return false;
}

} // namespace

std::optional<std::span<const unsigned char>> rtp_payload(std::span<const unsigned char> p,
                                                          uint16_t& sequence, int& payload_type) {
  if (p.size() < 12 || (p[0] >> 6) != 2) return std::nullopt;
  payload_type = p[1] & 0x7f;
  sequence = static_cast<uint16_t>((p[2] << 8) | p[3]);
  size_t start = 12 + 4 * static_cast<size_t>(p[0] & 0x0f);
  size_t end = p.size();
  if (p[0] & 0x10) { // a header extension
    if (start + 4 > end) return std::nullopt;
    start += 4 + 4 * static_cast<size_t>((p[start + 2] << 8) | p[start + 3]);
  }
  if (p[0] & 0x20) { // padding, counted by the last byte
    if (end == 0 || p[end - 1] > end) return std::nullopt;
    end -= p[end - 1];
  }
  if (start > end) return std::nullopt;
  return p.subspan(start, end - start);
}

std::optional<std::vector<int16_t>> rtp_l16_payload(std::span<const unsigned char> p,
                                                    uint16_t& sequence, int& payload_type) {
  const auto payload = rtp_payload(p, sequence, payload_type);
  if (!payload) return std::nullopt;
  if (payload_type != kPayloadStereo && payload_type != kPayloadMono) return std::nullopt;
  const std::span<const unsigned char> b = *payload;
  std::vector<int16_t> out;
  const size_t samples = b.size() / 2;
  out.reserve(payload_type == kPayloadMono ? 2 * samples : samples);
  for (size_t i = 0; i < samples; ++i) {
    const auto v = static_cast<int16_t>((b[2 * i] << 8) | b[2 * i + 1]);
    out.push_back(v);
    if (payload_type == kPayloadMono) out.push_back(v);
  }
  if (out.size() % 2) out.pop_back();
  return out;
}

StreamSource::StreamSource(EventLoop& loop, const Config& config, AudioHandler on_audio,
                           TitleHandler on_title)
    : loop_(loop), config_(config), on_audio_(std::move(on_audio)), on_title_(std::move(on_title)),
      last_audio_(Clock::now()) {
  retry_ = Event::timer(loop_, [this](short) { start(); });
  ticker_ = Event::timer(loop_, [this](short) {
    tick();
    ticker_->add(kTick);
  });
  ticker_->add(kTick);
  start();
}

StreamSource::~StreamSource() {
  stop_connections();
}

void StreamSource::stop_connections() {
  ++generation_;
  readable_.reset();
  socket_.reset();
  last_sequence_.reset();
  // A connection may be in the middle of calling us: close it later.
  if (control_ || log_)
    loop_.defer([c = std::shared_ptr<AsyncClient>(std::move(control_)),
                 l = std::shared_ptr<AsyncClient>(std::move(log_))] {});
}

void StreamSource::fail(const std::string& why) {
  stop_connections();
  if (!failing_) log_warning("the audio stream's source: " + why + " (retrying)");
  failing_ = true;
  retry_->add(backoff_);
  backoff_ = std::min(backoff_ * 2, kLongestRetry);
}

void StreamSource::start() {
  stop_connections();
  const uint64_t gen = generation_;
  auto closed = [this, gen](const std::string& why) {
    if (gen == generation_) fail("connection to disorderd lost: " + why);
  };
  try {
    control_ = AsyncClient::open(loop_, config_, closed);
    log_ = AsyncClient::open(loop_, config_, closed);
  } catch (const std::exception& e) {
    return fail(std::string("cannot reach disorderd: ") + e.what());
  }
  const auto& login = config_.web_stream_login;
  auto refused = [this, gen, user = login.user](Reply& r) {
    if (gen != generation_ || r.code == 0) return;
    loop_.defer([this, gen, user, text = r.text] {
      if (gen == generation_)
        fail("disorderd refused the login as " + user + " (web_stream_login): " + text);
    });
  };
  control_->login(login.user, login.password, [this, gen, refused](Reply& r) {
    if (gen != generation_) return;
    if (!r.ok()) return refused(r);
    control_->command({"rtp-address"}, [this, gen](Reply& a) {
      if (gen != generation_) return;
      std::vector<std::string> f;
      try {
        f = split_fields(a.text);
      } catch (const std::exception&) {
      }
      std::string why;
      if (!a.ok() || f.size() < 2) {
        why = "disorderd sends no RTP stream (" + a.text +
              "): the audio stream needs api rtp in its configuration";
      } else {
        try {
          if (f[0] == "-")
            listen_request_mode();
          else
            listen_broadcast(f[0], f[1]);
          return logged_in();
        } catch (const std::exception& e) {
          why = e.what();
        }
      }
      loop_.defer([this, gen, why] {
        if (gen == generation_) fail(why);
      });
    });
  });
  log_->login(login.user, login.password, [this, gen, refused](Reply& r) {
    if (gen != generation_) return;
    if (!r.ok()) return refused(r);
    log_->follow_log(
        [this, gen](const std::string& line) {
          if (gen != generation_) return;
          std::vector<std::string> f;
          try {
            f = split_fields(line);
          } catch (const std::exception&) {
            return;
          }
          if (f.size() >= 3 && f[1] == "playing") look_up(f[2]);
        },
        [](Reply&) {});
  });
}

void StreamSource::listen_request_mode() {
  // The stream must come to an address disorderd counts as ours: loopback
  // over the local socket, or the address our TCP connection to it comes
  // from (the kernel picks it for a UDP socket "connected" there).
  sockaddr_storage local{};
  socklen_t len = 0;
  if (config_.connect) {
    addrinfo hints{};
    hints.ai_family = config_.connect->family;
    hints.ai_socktype = SOCK_DGRAM;
    AddrInfo ai;
    if (::getaddrinfo(config_.connect->host.c_str(), config_.connect->service.c_str(), &hints,
                      &ai.list) != 0 ||
        !ai.list)
      throw Error("cannot resolve " + config_.connect->host);
    Fd probe(::socket(ai.list->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!probe || ::connect(probe.get(), ai.list->ai_addr, ai.list->ai_addrlen) < 0)
      throw_errno("finding the address disorderd sees us at");
    len = sizeof local;
    ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &len);
    if (local.ss_family == AF_INET)
      reinterpret_cast<sockaddr_in*>(&local)->sin_port = 0;
    else
      reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = 0;
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&local);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *sin;
  }
  socket_ = Fd(::socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket_) throw_errno("creating the stream's socket");
  if (::bind(socket_.get(), reinterpret_cast<sockaddr*>(&local), len) < 0)
    throw_errno("binding the stream's socket");
  len = sizeof local;
  ::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&local), &len);
  const int port = local.ss_family == AF_INET
                       ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                       : ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  const std::string host = numeric_host(reinterpret_cast<sockaddr*>(&local), len);
  const uint64_t gen = generation_;
  control_->command({"rtp-request", host, std::to_string(port)}, [this, gen](Reply& r) {
    if (gen != generation_ || r.ok() || r.code == 0) return;
    loop_.defer([this, gen, text = r.text] {
      if (gen == generation_) fail("disorderd refused rtp-request: " + text);
    });
  });
}

void StreamSource::listen_broadcast(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  AddrInfo ai;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &ai.list) != 0 || !ai.list)
    throw Error("cannot resolve the broadcast address " + host);
  const addrinfo* a = ai.list;
  socket_ = Fd(::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket_) throw_errno("creating the stream's socket");
  const int one = 1;
  // disorder-playrtp may listen on this host too.
  ::setsockopt(socket_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage any{};
  std::memcpy(&any, a->ai_addr, a->ai_addrlen);
  if (a->ai_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&any)->sin_addr.s_addr = htonl(INADDR_ANY);
  else
    reinterpret_cast<sockaddr_in6*>(&any)->sin6_addr = in6addr_any;
  if (::bind(socket_.get(), reinterpret_cast<sockaddr*>(&any), a->ai_addrlen) < 0)
    throw_errno("listening to the broadcast stream on port " + port);
  if (is_multicast(a->ai_addr)) {
    if (a->ai_family == AF_INET) {
      ip_mreq m{};
      m.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
      if (::setsockopt(socket_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0)
        throw_errno("joining " + host);
    } else {
      ipv6_mreq m{};
      m.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
      if (::setsockopt(socket_.get(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0)
        throw_errno("joining " + host);
    }
  }
}

void StreamSource::logged_in() {
  const int size = 256 * 1024;
  ::setsockopt(socket_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  readable_ = Event::io(loop_, socket_.get(), EV_READ | EV_PERSIST, [this](short) { readable(); });
  readable_->add();
  if (failing_) log_info("the audio stream's source is back");
  failing_ = false;
  backoff_ = std::chrono::milliseconds(1000);
  follow_titles();
}

void StreamSource::follow_titles() {
  const uint64_t gen = generation_;
  control_->command({"playing"}, [this, gen](Reply& r) {
    if (gen != generation_ || !r.ok() || r.code == 259) return;
    try {
      auto f = split_fields(r.text);
      for (size_t i = 0; i + 1 < f.size(); i += 2)
        if (f[i] == "track") return look_up(f[i + 1]);
    } catch (const std::exception&) {
    }
  });
}

void StreamSource::look_up(const std::string& track) {
  if (!control_) return;
  track_ = track;
  auto title = std::make_shared<TrackTitle>();
  const uint64_t gen = generation_;
  auto part = [this, gen, track, title](std::string which) {
    control_->command({"part", track, "display", which},
                      [this, gen, track, title, which](Reply& r) {
                        if (gen != generation_ || track != track_) return;
                        std::string v;
                        if (r.ok()) try {
                            v = r.value();
                          } catch (const std::exception&) {
                          }
                        if (which == "artist") {
                          title->artist = v;
                        } else {
                          title->title = v;
                          on_title_(*title);
                        }
                      });
  };
  part("artist");
  part("title");
}

void StreamSource::readable() {
  unsigned char buf[65536];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
    if (n < 0) break;
    uint16_t seq = 0;
    int pt = -1;
    const std::span<const unsigned char> packet(buf, static_cast<size_t>(n));
    auto samples = rtp_l16_payload(packet, seq, pt);
    const bool opus = !samples && pt == config_.rtp_opus_payload_type &&
                      config_.rtp_encoding == RtpEncoding::opus;
    if (!samples && !opus) {
      if (pt >= 0 && pt != reported_payload_type_) {
        reported_payload_type_ = pt;
        log_error("the jukebox's RTP stream has payload type " + std::to_string(pt) +
                  ", neither L16 (10) nor Opus (rtp_opus_payload_type " +
                  std::to_string(config_.rtp_opus_payload_type) +
                  " with rtp_encoding opus): the audio stream cannot use it");
      }
      continue;
    }
    // A copy sent twice, or a packet overtaken by later ones, is dropped.
    if (last_sequence_ && static_cast<int16_t>(seq - *last_sequence_) <= 0) continue;
    const unsigned lost = last_sequence_ ? static_cast<uint16_t>(seq - *last_sequence_ - 1) : 0u;
    last_sequence_ = seq;
    last_audio_ = Clock::now();
    silence_from_.reset();
    if (opus) {
      if (!opus_) {
        try {
          opus_ = std::make_unique<OpusRtpInput>();
        } catch (const std::exception& e) {
          log_error(std::string("the Opus stream: ") + e.what());
          continue;
        }
      }
      int ignored = 0;
      const auto payload = rtp_payload(packet, seq, ignored);
      const auto pcm = opus_->decode(payload ? *payload : std::span<const unsigned char>{}, lost);
      if (!pcm.empty()) on_audio_(pcm);
    } else if (!samples->empty()) {
      on_audio_(*samples);
    }
  }
}

void StreamSource::tick() {
  const auto now = Clock::now();
  if (now - last_audio_ < kQuiet) return;
  if (!silence_from_) {
    silence_from_ = last_audio_;
    silence_fed_ = 0;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - *silence_from_);
  const uint64_t due = static_cast<uint64_t>(elapsed.count()) * kStreamRate / 1000000;
  if (due <= silence_fed_) return;
  // Never more than a second at once (after the machine stalled).
  const uint64_t frames = std::min<uint64_t>(due - silence_fed_, kStreamRate);
  silence_fed_ = due;
  zeros_.assign(frames * kStreamChannels, 0);
  on_audio_(zeros_);
}

} // namespace disorder::web
