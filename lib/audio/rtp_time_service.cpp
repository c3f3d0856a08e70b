// The time service thread: poll, answer clock requests, gather reports.
#include "rtp_time_service.hpp"

#include "arrival_time.hpp"
#include "error.hpp"
#include "listener_report_table.hpp"
#include "log.hpp"
#include "pacer.hpp"
#include "rtcp.hpp"
#include "socket_address.hpp"
#include "time_exchange.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace disorder {

namespace {

// Datagrams read from one socket before the others get their turn.
constexpr int kBurstPerSocket = 64;
// Larger than any RTCP compound a listener sends, and than an Ethernet
// frame's payload: anything that does not fit is dropped (MSG_TRUNC).
constexpr std::size_t kDatagramMax = 1500;

// A token bucket over CLOCK_MONOTONIC.
class AnswerBudget {
public:
  bool take(std::int64_t now_ns) {
    if (last_ns_ == 0) last_ns_ = now_ns;
    const std::int64_t elapsed = now_ns - last_ns_;
    if (elapsed > 0) {
      tokens_ = std::min<double>(RtpTimeService::kAnswerBurst,
                                 tokens_ + elapsed * 1e-9 * RtpTimeService::kAnswersPerSecond);
      last_ns_ = now_ns;
    }
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

private:
  double tokens_ = RtpTimeService::kAnswerBurst;
  std::int64_t last_ns_ = 0;
};

// The worst fraction lost that each listener (by address) last reported,
// over the reports of the last kLossWindowNs.
class WorstLoss {
public:
  void note(const std::string& address, std::uint8_t fraction, std::int64_t now_ns) {
    for (Entry& e : entries_)
      if (e.address == address) {
        e.fraction = fraction;
        e.heard_ns = now_ns;
        return;
      }
    if (entries_.size() < kMaxListeners) entries_.push_back({address, fraction, now_ns});
  }
  // Percent, rounded up; 0 when nobody reported lately.
  int percent(std::int64_t now_ns) {
    std::erase_if(entries_, [now_ns](const Entry& e) {
      return now_ns - e.heard_ns > RtpTimeService::kLossWindowNs;
    });
    int worst = 0;
    for (const Entry& e : entries_)
      worst = std::max(worst, (e.fraction * 100 + 255) / 256);
    return worst;
  }

private:
  static constexpr std::size_t kMaxListeners = 64;
  struct Entry {
    std::string address;
    std::uint8_t fraction;
    std::int64_t heard_ns;
  };
  std::vector<Entry> entries_;
};

} // namespace

RtpTimeService::RtpTimeService(std::span<const int> sockets, std::uint32_t ssrc, UnitsOf units_of,
                               ListenerReportQueue& reports, OpusReports opus)
    : sockets_(sockets.begin(), sockets.end()), ssrc_(ssrc), units_of_(std::move(units_of)),
      reports_(reports), opus_(opus), stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!stop_) throw_errno("eventfd");
  if (sockets_.size() > kMaxSockets) throw Error("too many sockets for the time service");
  for (int fd : sockets_)
    enable_arrival_timestamps(fd);
  // Signals are for the loop thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw SystemError(std::string("starting the time service: ") + e.what(), e.code().value());
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

RtpTimeService::~RtpTimeService() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_.get(), &one, sizeof one);
  thread_.join();
}

void RtpTimeService::run() {
  pthread_setname_np(pthread_self(), "rtp-time");
  ListenerReportTable table;
  AnswerBudget budget;
  WorstLoss loss;
  std::array<pollfd, kMaxSockets + 1> fds{};
  fds[0] = {stop_.get(), POLLIN, 0};
  for (std::size_t i = 0; i < sockets_.size(); ++i)
    fds[i + 1] = {sockets_[i], POLLIN, 0};
  const nfds_t nfds = sockets_.size() + 1;
  std::array<std::uint8_t, kDatagramMax> buffer;
  std::array<std::uint8_t, kTimePacketSize> answer;
  std::vector<ListenerReport> due;
  for (;;) {
    int timeout = -1;
    if (const auto next = table.next_due_ns()) {
      const std::int64_t wait = *next - monotonic_ns();
      timeout =
          wait <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(wait / 1'000'000 + 1, 60'000));
    }
    const int ready = ::poll(fds.data(), nfds, timeout);
    if (ready < 0 && errno != EINTR) {
      log_error(std::string("time service: poll: ") + std::strerror(errno));
      return;
    }
    if (fds[0].revents) return;
    for (nfds_t i = 1; ready > 0 && i < nfds; ++i) {
      const int fd = fds[i].fd;
      if (fds[i].revents & POLLERR) {
        // A pending socket error (an ICMP report of an earlier send):
        // reading it clears it, or poll() would return at once forever.
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      }
      if (!(fds[i].revents & POLLIN)) continue;
      for (int k = 0; k < kBurstPerSocket; ++k) {
        sockaddr_storage from{};
        iovec iov{buffer.data(), buffer.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) std::array<char, kArrivalControlSize> control;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
        // When it arrived, not when this thread (which a busy machine may
        // hold up) read it: t2 is the request's arrival.
        const std::int64_t t2 = n < 0 ? 0 : arrival_ns(msg, monotonic_ns());
        if (n < 0) {
          if (errno == EINTR) continue;
          break; // EAGAIN, or an error queued by an earlier send: nothing to read
        }
        if (msg.msg_flags & MSG_TRUNC) continue; // oversized
        const std::span<const std::uint8_t> datagram(buffer.data(), static_cast<std::size_t>(n));
        const auto* to = reinterpret_cast<const sockaddr*>(&from);
        if (is_time_packet(datagram)) {
          const std::optional<TimeRequest> request = decode_time_request(datagram);
          if (!request || !budget.take(t2)) continue;
          TimeAnswer a;
          a.t1 = request->t1;
          a.t2 = t2;
          a.t3 = monotonic_ns();
          const std::size_t size = encode_time_answer(a, answer);
          [[maybe_unused]] ssize_t sent =
              ::sendto(fd, answer.data(), size, MSG_DONTWAIT | MSG_NOSIGNAL, to, msg.msg_namelen);
          continue;
        }
        const std::optional<RtcpCompound> compound = decode_rtcp_compound(datagram);
        if (!compound || compound->sender) continue;
        try {
          const std::string address = address_and_port(to, msg.msg_namelen);
          const bool kept =
              table.note(address, *compound, ssrc_, units_of_(to, msg.msg_namelen), t2);
          // A report about the Opus stream, which is ssrc_ itself when the
          // fixed destination gets it.
          bool opus = false;
          if (opus_.worst_loss)
            opus = opus_.ssrc == ssrc_ ? kept
                                       : !kept && table.note(address, *compound, opus_.ssrc,
                                                             opus_.units_per_second, t2);
          if (!opus) continue;
          for (std::size_t b = 0; b < compound->block_count; ++b)
            if (compound->blocks[b].ssrc == opus_.ssrc)
              loss.note(address, compound->blocks[b].fraction_lost, t2);
        } catch (const std::exception& e) {
          log_error(std::string("time service: ") + e.what()); // out of memory, at worst
        }
      }
    }
    if (opus_.worst_loss)
      opus_.worst_loss->store(loss.percent(monotonic_ns()), std::memory_order_relaxed);
    due.clear();
    table.take_due(monotonic_ns(), due);
    for (ListenerReport& r : due)
      reports_.push(std::move(r));
  }
}

} // namespace disorder
