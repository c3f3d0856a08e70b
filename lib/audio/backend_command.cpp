// The `command` backend: speaker_command run with `sh -c`, the samples on
// its standard input in sample_format, paced in real time so that the
// command is never more than kLead ahead of the clock; restarted (by the
// audio thread, through BackendError) if it exits.
#include "backend.hpp"
#include "log.hpp"
#include "pacer.hpp"
#include "subprocess.hpp" // describe_wait_status

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder {

namespace {

// How far ahead of real time the command may be by default: small, so that
// pause and cancel are heard at once.
constexpr auto kLead = std::chrono::milliseconds(50);
// Frames per write by default: 10 ms.
constexpr std::uint32_t kChunksPerSecond = 100;

class CommandBackend final : public Backend {
public:
  CommandBackend(std::string command, PauseMode pause_mode, std::chrono::microseconds buffer,
                 bool write_when_due)
      : command_(std::move(command)), pause_mode_(pause_mode), buffer_(buffer),
        write_when_due_(write_when_due) {}
  ~CommandBackend() override { close(); }

  void open(const AudioFormat& format) override {
    format_ = format;
    // Given a buffer, it is refilled when a quarter is left: few wake-ups,
    // and still time to spare for a late one.
    chunk_ = buffer_.count() > 0
                 ? static_cast<std::size_t>(buffer_.count() * format.rate * 3 / 4'000'000)
                 : format.rate / kChunksPerSecond;
    chunk_ = std::max<std::size_t>(1, chunk_);
    make_zeros(format, chunk_);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw BackendError(std::string("pipe: ") + strerror(errno));
    Fd read_end(fds[0]), write_end(fds[1]);
    pid_ = fork_command(read_end.get());
    stdin_ = std::move(write_end);
    set_nonblocking(stdin_.get());
    // Writing when due: a chunk may leave once its first frame is due.
    const auto lead = write_when_due_
                          ? std::chrono::nanoseconds(static_cast<std::int64_t>(
                                chunk_ * 1'000'000'000ull / format.rate))
                      : buffer_.count() > 0 ? std::chrono::nanoseconds(buffer_)
                                            : std::chrono::nanoseconds(kLead);
    lead_ = lead;
    pacer_.start(format.rate, lead,
                 write_when_due_ ? lead : std::chrono::nanoseconds(0));
    log_debug("started speaker_command (pid " + std::to_string(pid_) + "): " + command_);
  }

  bool is_open() const override { return static_cast<bool>(stdin_); }
  std::size_t chunk_frames() const override { return chunk_; }
  void wait_ready(std::size_t frames) override { pacer_.wait(frames); }

  void play(std::span<const char> frames) override {
    const std::size_t n = frames.size() / format_.bytes_per_frame();
    pacer_.wait(n);
    const char* p = frames.data();
    std::size_t left = frames.size();
    while (left > 0) {
      ssize_t w = ::write(stdin_.get(), p, left);
      if (w >= 0) {
        p += w;
        left -= static_cast<std::size_t>(w);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        throw BackendError("writing to speaker_command: " + std::string(strerror(errno)));
      // The command is slow to read: wait, but not past a shutdown.
      pollfd pfd{stdin_.get(), POLLOUT, 0};
      ::poll(&pfd, 1, 100);
      if (aborting()) throw BackendError("shutting down");
    }
    pacer_.written(n);
  }

  PauseStyle pause_style() const override {
    return pause_mode_ == PauseMode::silence ? PauseStyle::silence : PauseStyle::suspend;
  }
  void resume() override { pacer_.restart(); }
  // Writing when due, negative when a write is woken late: it is still the
  // one for that instant of the schedule.  Behind by more than a write, the
  // output ran dry (or is paused): the schedule starts again from now.
  std::chrono::nanoseconds delay() const override {
    const std::chrono::nanoseconds ahead = pacer_.ahead();
    if (write_when_due_ && ahead < -lead_) return std::chrono::nanoseconds(0);
    return ahead;
  }

  void close() override {
    if (!stdin_ && pid_ < 0) return;
    // End of input lets the command finish what it has and exit.
    stdin_.reset();
    if (pid_ > 0) reap();
    pid_ = -1;
  }

private:
  // fork + exec of sh -c COMMAND with stdin_fd as its standard input.  The
  // child runs only async-signal-safe calls: the loop thread keeps running
  // in the parent meanwhile.
  pid_t fork_command(int stdin_fd) {
    const char* argv[] = {"/bin/sh", "-c", command_.c_str(), nullptr};
    pid_t pid = ::fork();
    if (pid < 0) throw BackendError("fork: " + std::string(strerror(errno)));
    if (pid == 0) {
      if (::dup2(stdin_fd, 0) < 0) ::_exit(126);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::execv(argv[0], const_cast<char* const*>(argv));
      ::_exit(127);
    }
    return pid;
  }

  // Wait for the command to exit: a second, then SIGKILL.
  void reap() {
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        if (r == pid_ && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
          log_warning("speaker_command " + describe_wait_status(status));
        return;
      }
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    log_warning("speaker_command did not exit when its input closed; killed it");
  }

  std::string command_;
  PauseMode pause_mode_;
  std::chrono::microseconds buffer_;
  bool write_when_due_;
  std::chrono::nanoseconds lead_{0};
  AudioFormat format_;
  std::size_t chunk_ = 441;
  Fd stdin_;
  pid_t pid_ = -1;
  Pacer pacer_;
};

} // namespace

std::unique_ptr<Backend> make_command_backend(const Config& config, const BackendOptions& options) {
  if (config.speaker_command.empty()) throw ConfigError("api command needs a speaker_command");
  return std::make_unique<CommandBackend>(config.speaker_command, config.pause_mode,
                                          options.buffer, options.write_when_due);
}

} // namespace disorder
