// The audio thread: wait for the output, read the network, plan under the
// lock, render, write.
#include "player.hpp"

#include "audio/converter.hpp"
#include "audio/pacer.hpp"
#include "log.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace disorder::playrtp {

namespace {

// After an output that was open fails (the reopening back-off is
// retry_'s).
constexpr std::int64_t kRetryDelayNs = 500'000'000;
// A wake-up later than this is a stall, not scheduling latency.
constexpr std::int64_t kLateWakeNs = 2'000'000;

} // namespace

Player::Player(Backend& backend, int socket, const Settings& settings)
    : backend_(backend), socket_(socket), output_(settings.playout.output),
      output_delay_ns_(settings.output_delay_ns), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      reader_(socket), buffer_(settings.buffer), playout_(settings.playout),
      clock_(settings.playout.output.rate) {
  if (!wake_) throw SystemError("eventfd", errno);
}

Player::~Player() {
  stop();
}

void Player::start() {
  thread_ = std::thread([this] { run(); });
}

void Player::stop() {
  if (!thread_.joinable()) return;
  quit_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
  backend_.abort(); // a play() blocked on a slow command gives up
  thread_.join();
}

void Player::set_volume(int left, int right) {
  left_ = std::clamp(left, 0, 100);
  right_ = std::clamp(right, 0, 100);
  left_gain_ = volume_to_gain(left_);
  right_gain_ = volume_to_gain(right_);
}

std::pair<int, int> Player::volume() const {
  return {left_.load(), right_.load()};
}

Player::Snapshot Player::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot s;
  s.streaming = buffer_.streaming();
  s.synchronised = buffer_.synchronised();
  s.output_delay_ns = output_delay_seen_ns_.load(std::memory_order_relaxed);
  s.reception = buffer_.reception();
  s.format = buffer_.format();
  s.opus = buffer_.opus();
  s.unit = buffer_.timestamp_unit();
  s.buffered_frames = buffer_.buffered_frames();
  s.not_rtp = not_rtp_;
  s.output_unavailable = output_unavailable_.load(std::memory_order_relaxed);
  s.buffer = buffer_.stats();
  s.playout = playout_.stats();
  // The schedule may have changed since playout last looked.
  if (buffer_.synchronised())
    s.playout.latency_ms = static_cast<double>(buffer_.schedule()->anchor().latency_ns) / 1e6;
  return s;
}

void Player::set_sync(const std::optional<SyncAnchor>& anchor) {
  std::lock_guard lock(mutex_);
  buffer_.set_sync(anchor);
}

void Player::expect_sync(std::int64_t latency_ns) {
  std::lock_guard lock(mutex_);
  buffer_.expect_sync(latency_ns);
}

std::optional<std::uint32_t> Player::followed_ssrc() const {
  std::lock_guard lock(mutex_);
  if (!buffer_.streaming()) return std::nullopt;
  return buffer_.ssrc();
}

std::optional<RtcpReportBlock> Player::report_block(std::uint32_t ssrc) {
  std::lock_guard lock(mutex_);
  if (!buffer_.streaming() || buffer_.ssrc() != ssrc || !buffer_.reception().any())
    return std::nullopt;
  return buffer_.reception().report(ssrc);
}

void Player::drain() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (buffer_.full()) return;
    }
    const std::size_t n = reader_.read();
    if (n == 0) return;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < n; ++i) {
      if (const auto packet = decode_rtp_packet(reader_.datagram(i)))
        buffer_.insert(*packet, reader_.arrival_ns(i));
      else
        ++not_rtp_;
    }
    if (n < PacketReader::kBatch) return;
  }
}

void Player::sleep(std::int64_t until_ns, bool for_packet) {
  pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {socket_, POLLIN, 0}};
  nfds_t count = 1;
  if (for_packet) {
    std::lock_guard lock(mutex_);
    if (!buffer_.full()) count = 2;
  }
  const std::int64_t left = std::max<std::int64_t>(0, until_ns - monotonic_ns());
  const timespec timeout{static_cast<time_t>(left / 1'000'000'000),
                         static_cast<long>(left % 1'000'000'000)};
  ::ppoll(fds, count, &timeout, nullptr);
}

void Player::wait_without_output(std::int64_t until_ns) {
  while (!quit_ && monotonic_ns() < until_ns) {
    sleep(until_ns, true);
    drain();
    std::lock_guard lock(mutex_);
    // Nothing is heard: what arrived is dropped, and when the output opens
    // playout starts where the stream is then.
    buffer_.skip(buffer_.buffered_frames());
  }
}

void Player::run() {
  // Signals belong to the loop thread.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  ::pthread_setname_np(::pthread_self(), "audio");
  // Keeping time on a busy machine.
  request_realtime_priority();
  while (!quit_) {
    if (!backend_.is_open()) {
      try {
        backend_.open(output_);
        playout_.output_restarted();
        clock_.restart();
        suspended_ = false;
        output_unavailable_ = false;
        if (retry_.succeeded()) log_info("audio output open again");
      } catch (const Error& e) {
        // Once, and again only if the reason changes: no flood while a
        // machine without a sound card listens.
        if (retry_.failed(e.what()))
          log_error(std::string("audio output unavailable: ") + e.what() + "; " +
                    retry_.describe() +
                    "; meanwhile the stream is received but not heard (see --api and --device)");
        output_unavailable_ = true;
        wait_without_output(monotonic_ns() + std::chrono::nanoseconds(retry_.delay()).count());
        continue;
      }
    }
    try {
      step();
    } catch (const BackendError& e) {
      if (quit_) break;
      if (retry_.failed(e.what()))
        log_error(std::string(e.what()) + ": reopening the audio output");
      backend_.close();
      // Short: what arrives meanwhile waits in the socket, and playout
      // catches up with it.
      sleep(monotonic_ns() + kRetryDelayNs, false);
    } catch (const Error& e) {
      log_error(e.what());
      sleep(monotonic_ns() + kRetryDelayNs, false);
    }
  }
  backend_.close();
}

void Player::resume() {
  if (!suspended_) return;
  backend_.resume();
  suspended_ = false;
}

void Player::step() {
  if (!suspended_) backend_.wait_ready(backend_.chunk_frames());
  drain();
  const std::int64_t now = monotonic_ns();
  std::int64_t delay = backend_.delay().count();
  // A paced output (a command written when due) that woke a little late
  // writes now, and that is when the next frame is heard; one that fell
  // further behind stalled, and makes up for it at once: the next frame is
  // still the one for its schedule.  (A nanosecond: a delay of zero means
  // that the output reports none.)
  if (delay < 0 && delay > -kLateWakeNs) delay = 1;
  const std::int64_t audible = clock_.audible_ns(now, delay) + output_delay_ns_;
  output_delay_seen_ns_.store(audible - now, std::memory_order_relaxed);
  const bool suspend = backend_.pause_style() == Backend::PauseStyle::suspend;
  Playout::Step s;
  {
    std::lock_guard lock(mutex_);
    s = playout_.plan(buffer_, now, audible, backend_.chunk_frames(), suspend);
  }
  switch (s.kind) {
  case Playout::Step::Kind::play: {
    resume();
    const std::span<char> out = playout_.render();
    apply_gain(out, output_, left_gain_, right_gain_);
    if (!out.empty()) backend_.play(out);
    clock_.written(out.size() / output_.bytes_per_frame());
    break;
  }
  case Playout::Step::Kind::silence:
    resume();
    backend_.silence(s.frames);
    clock_.written(s.frames);
    break;
  case Playout::Step::Kind::wait:
    if (suspend && s.pause_output && !suspended_) {
      backend_.pause();
      // What the output holds is dropped or plays out meanwhile: after
      // the pause it starts from the moment it resumes.
      clock_.restart();
      suspended_ = true;
    }
    sleep(s.until_ns, s.wake_on_packet);
    break;
  }
}

} // namespace disorder::playrtp
