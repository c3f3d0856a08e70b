// RTCP in, time requests out, answers in, the schedule published, reports out.
#include "sync_client.hpp"

#include "arrival_time.hpp"
#include "audio/pacer.hpp" // monotonic_ns
#include "error.hpp"
#include "log.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <event2/event.h>
#include <pwd.h>
#include <sys/random.h>
#include <unistd.h>

namespace disorder::playrtp {

namespace {

// Datagrams read per wake-up at most, so that a flood cannot hold the loop.
constexpr int kReadsPerWake = 64;

std::uint32_t random_ssrc() {
  std::uint32_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
    v = static_cast<std::uint32_t>(monotonic_ns() ^ ::getpid());
  return v;
}

std::chrono::microseconds micros(std::int64_t ns) {
  return std::chrono::microseconds(std::max<std::int64_t>(0, ns / 1000));
}

std::int32_t clamp32(double v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(std::llround(v), INT32_MIN, INT32_MAX));
}

std::uint32_t clampu32(double v) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(std::llround(v), 0, UINT32_MAX));
}

} // namespace

std::string local_cname() {
  std::string user = "unknown";
  char buffer[4096];
  passwd pw{};
  passwd* result = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buffer, sizeof buffer, &result) == 0 && result)
    user = result->pw_name;
  char host[256] = "localhost";
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = 0;
  std::string cname = user + "@" + host;
  if (cname.size() > kSdesItemMax) cname.resize(kSdesItemMax);
  return cname;
}

SyncClient::SyncClient(EventLoop& loop, Player& player, int rtcp, bool can_send,
                       const Settings& settings)
    : loop_(loop), player_(player), rtcp_(rtcp), can_send_(can_send), settings_(settings),
      ssrc_(random_ssrc()) {
  if (settings_.cname.empty()) settings_.cname = local_cname();
  enable_arrival_timestamps(rtcp_);
  rtcp_event_ = Event::io(loop_, rtcp_, EV_READ | EV_PERSIST, [this](short) { readable(rtcp_); });
  rtcp_event_->add();
  request_timer_ = Event::timer(loop_, [this](short) { send_request(); });
  report_timer_ = Event::timer(loop_, [this](short) { send_report(); });
}

SyncClient::~SyncClient() = default;

void SyncClient::readable(int fd) {
  std::uint8_t buffer[2048];
  for (int i = 0; i < kReadsPerWake; ++i) {
    sockaddr_storage from{};
    iovec iov{buffer, sizeof buffer};
    alignas(cmsghdr) char control[kArrivalControlSize];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return;
    const socklen_t from_length = msg.msg_namelen;
    // t4 is when it arrived, from the kernel's timestamp, not when this
    // thread (which a busy machine may hold up) read it.
    const std::int64_t now = arrival_ns(msg, monotonic_ns());
    const std::span<const std::uint8_t> datagram(buffer, static_cast<std::size_t>(n));
    if (is_time_packet(datagram)) {
      if (settings_.enabled && exchange_.answer(datagram, from, from_length, now)) publish();
      continue;
    }
    const auto c = decode_rtcp_compound(datagram);
    if (!c) continue;
    if (c->bye) {
      // The stream ends; the next one brings its own reports.
      for (auto& r : reports_)
        if (r && r->ssrc == c->bye_ssrc) r.reset();
      if (sr_ && sr_->ssrc == c->bye_ssrc) {
        sr_.reset();
        player_.set_sync(std::nullopt);
      }
      continue;
    }
    if (c->sender && c->timeline) sender_report(*c, from, from_length, now);
  }
}

void SyncClient::sender_report(const RtcpCompound& c, const sockaddr_storage& from,
                               socklen_t from_length, std::int64_t now_ns) {
  LastSr sr;
  sr.ssrc = c.sender->ssrc;
  sr.rtp_timestamp = c.sender->rtp_timestamp;
  sr.timeline = *c.timeline;
  sr.ntp_middle = ntp_middle32(c.sender->ntp);
  sr.received_ns = now_ns;
  sr.from = from;
  sr.from_length = from_length;
  // Its source's slot, else the older one.
  std::optional<LastSr>* slot = nullptr;
  for (auto& r : reports_)
    if (r && r->ssrc == sr.ssrc) slot = &r;
  if (!slot) {
    slot = &reports_[0];
    for (auto& r : reports_)
      if (!r || r->received_ns < (*slot)->received_ns) slot = &r;
  }
  *slot = sr;
  choose();
}

void SyncClient::choose() {
  const auto followed = player_.followed_ssrc();
  const LastSr* best = nullptr;
  for (const auto& r : reports_) {
    if (!r) continue;
    if (followed ? r->ssrc == *followed : !best || r->received_ns > best->received_ns) best = &*r;
  }
  if (!best) {
    if (sr_) player_.set_sync(std::nullopt);
    sr_.reset();
    return;
  }
  sr_ = *best;
  if (!have_sender_ || !same_endpoint(sender_, sender_length_, sr_->from, sr_->from_length)) {
    // A sender (another host, perhaps): its clock is learnt afresh.
    if (have_sender_) log_info("the sender reports from another address now");
    sender_ = sr_->from;
    sender_length_ = sr_->from_length;
    have_sender_ = true;
    exchange_.reset();
    if (settings_.enabled) {
      request_timer_->remove();
      request_timer_->add(std::chrono::microseconds(0));
    }
    if (!report_timer_->pending()) report_timer_->add(micros(kReportIntervalNs));
  }
  if (!settings_.enabled) return;
  if (!exchange_.estimator().valid()) {
    // Until our clock estimate is ready, play by arrival at the latency
    // the sender states, and this room's trim: close to where the
    // timeline will put it.
    const LatencyChoice l =
        choose_latency(std::int64_t{sr_->timeline.latency_us} * 1000, settings_.own_latency_ns);
    player_.expect_sync(std::max<std::int64_t>(0, l.latency_ns + settings_.trim_ns));
  }
  publish();
}

void SyncClient::publish() {
  if (!sr_ || !exchange_.estimator().valid()) return;
  const ClockEstimator& e = exchange_.estimator();
  const std::int64_t now = monotonic_ns();
  SyncAnchor a;
  a.ssrc = sr_->ssrc;
  a.rtp_timestamp = sr_->rtp_timestamp;
  a.sender_ns = sr_->timeline.sender_ns;
  latency_ =
      choose_latency(std::int64_t{sr_->timeline.latency_us} * 1000, settings_.own_latency_ns);
  a.latency_ns = latency_.latency_ns;
  a.trim_ns = settings_.trim_ns;
  a.clock.local_ref = now;
  a.clock.remote_ref = e.to_remote(now);
  a.clock.remote_per_local = 1 + e.drift_ppm() * 1e-6;
  player_.set_sync(a);
  if (latency_.unmet && !logged_unmet_) {
    log_warning("cannot meet the shared latency of " +
                std::to_string(sr_->timeline.latency_us / 1000) + " ms: playing at " +
                std::to_string(latency_.latency_ns / 1'000'000) +
                " ms on the same timeline (this room is later than the others)");
    logged_unmet_ = true;
  }
  if (settings_.max_buffer_ns > 0 && latency_.latency_ns > settings_.max_buffer_ns &&
      !logged_buffer_) {
    log_warning("the latency of " + std::to_string(latency_.latency_ns / 1'000'000) +
                " ms is more than the buffer holds (--max, rtp_maxbuffer): the system's socket "
                "buffer must hold the rest (--rcvbuf)");
    logged_buffer_ = true;
  }
  if (!synchronised_) {
    synchronised_ = true;
    char text[160];
    std::snprintf(text, sizeof text,
                  "on the sender's timeline: clock offset %+.3f ms, uncertainty %.3f ms, "
                  "latency %.0f ms",
                  e.offset_ns(now) / 1e6, static_cast<double>(e.uncertainty_ns()) / 1e6,
                  static_cast<double>(latency_.latency_ns) / 1e6);
    log_info(text);
    report_timer_->remove();
    report_timer_->add(micros(kFirstReportNs));
  }
}

int SyncClient::send_socket() {
  if (can_send_) return rtcp_;
  if (own_socket_ && own_family_ == sender_.ss_family) return own_socket_.get();
  own_event_.reset();
  own_socket_ = Fd(::socket(sender_.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!own_socket_) {
    log_debug(std::string("cannot open a socket towards the sender: ") + std::strerror(errno));
    return -1;
  }
  own_family_ = sender_.ss_family;
  const int fd = own_socket_.get();
  own_event_ = Event::io(loop_, fd, EV_READ | EV_PERSIST, [this, fd](short) { readable(fd); });
  own_event_->add();
  return fd;
}

void SyncClient::send_request() {
  if (!have_sender_ || !settings_.enabled) return;
  // Now and then: the player may follow another of the sources by now.
  choose();
  const int fd = send_socket();
  if (fd >= 0) {
    std::array<std::uint8_t, kTimePacketSize> packet;
    // t1 as late as can be: right before the datagram leaves.
    const std::int64_t t1 = monotonic_ns();
    const std::size_t n = exchange_.request(t1, sender_, sender_length_, packet);
    if (::sendto(fd, packet.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&sender_), sender_length_) < 0)
      log_debug(std::string("time request: ") + std::strerror(errno));
  }
  request_timer_->add(micros(exchange_.next_request_ns() - monotonic_ns()));
}

void SyncClient::send_report() {
  report_timer_->add(micros(kReportIntervalNs));
  if (!have_sender_ || !sr_) return;
  const int fd = send_socket();
  if (fd < 0) return;
  const std::int64_t now = monotonic_ns();
  std::array<RtcpReportBlock, 1> blocks;
  std::size_t count = 0;
  if (auto b = player_.report_block(sr_->ssrc)) {
    b->last_sr = sr_->ntp_middle;
    b->delay_since_last_sr =
        static_cast<std::uint32_t>((now - sr_->received_ns) * 65536 / 1'000'000'000);
    blocks[0] = *b;
    count = 1;
  }
  const Player::Snapshot s = player_.snapshot();
  const ClockEstimator& e = exchange_.estimator();
  SyncReport r;
  if (s.synchronised) r.flags |= SyncReport::kSynchronised;
  if (s.synchronised && latency_.unmet) r.flags |= SyncReport::kLatencyUnmet;
  r.clock_uncertainty_ns =
      e.valid() ? clampu32(static_cast<double>(e.uncertainty_ns())) : UINT32_MAX;
  r.playout_error_ns = clamp32(s.playout.error_ms * 1e6);
  r.drift_ppb = e.valid() ? clamp32(e.drift_ppm() * 1e3) : 0;
  r.buffer_us = clampu32(s.playout.buffered_ms * 1e3);
  r.latency_us = clampu32(s.playout.latency_ms * 1e3);
  r.concealed_frames = clampu32(static_cast<double>(s.buffer.frames_concealed));
  r.output_delay_us = clampu32(static_cast<double>(s.output_delay_ns) / 1e3);
  std::array<std::uint8_t, 512> packet;
  std::size_t n = 0;
  try {
    n = encode_rtcp_receiver_report(ssrc_, std::span(blocks.data(), count), settings_.cname, &r,
                                    packet);
  } catch (const Error& err) {
    log_debug(std::string("receiver report: ") + err.what());
    return;
  }
  if (::sendto(fd, packet.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&sender_), sender_length_) < 0)
    log_debug(std::string("receiver report: ") + std::strerror(errno));
  else
    ++reports_sent_;
}

SyncClient::Status SyncClient::status() const {
  Status s;
  const ClockEstimator& e = exchange_.estimator();
  s.timeline = sr_.has_value();
  s.clock_valid = e.valid();
  if (e.valid()) {
    const std::int64_t now = monotonic_ns();
    s.offset_ms = e.offset_ns(now) / 1e6;
    s.uncertainty_ms = static_cast<double>(e.uncertainty_ns()) / 1e6;
    s.drift_ppm = e.drift_ppm();
  }
  s.latency_unmet = latency_.unmet;
  s.shared_latency_ms = sr_ ? sr_->timeline.latency_us / 1e3 : 0;
  s.reports_sent = reports_sent_;
  return s;
}

} // namespace disorder::playrtp
