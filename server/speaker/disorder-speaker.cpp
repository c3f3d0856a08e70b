// disorder-speaker: the data plane.  disorderd starts it with one end of a
// SOCK_SEQPACKET socket pair as --control-fd; it receives each track's
// decoder pipe over that socket, plays the tracks in order, gaplessly, to
// the one configured backend, and reports back.  main() composes the
// parts: configuration, backend, audio thread, event loop, Speaker.
#include "audio/backend.hpp"
#include "audio_thread.hpp"
#include "config.h"
#include "config.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "speaker.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <getopt.h>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace disorder;

namespace {

void usage(std::FILE* f) {
  std::fprintf(f,
               "Usage: disorder-speaker [OPTIONS] --control-fd N\n"
               "Play tracks handed over by disorderd (not for direct use).\n"
               "Options:\n"
               "  --config PATH, -c PATH    configuration file\n"
               "  --control-fd N            the control socket disorderd passes\n"
               "  --debug, -d               log debugging messages\n"
               "  --syslog                  log to syslog (default when stderr is not a terminal)\n"
               "  --no-syslog               log to stderr\n"
               "  --rtp-timestamps UNIT     RTP timestamps count frames (default) or samples\n"
               "  --ao-file PATH            api ao: write to PATH with a libao file driver\n"
               "  --no-realtime             no real-time priority for the audio thread\n"
               "  --help, -h                this message\n"
               "  --version, -V             print the version\n");
}

// Descriptors 0-2 must be open, or the first fd we open would be taken for
// standard input or output by a child.
void ensure_standard_fds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = ::open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) ::close(n);
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  enum {
    opt_syslog = 256,
    opt_no_syslog,
    opt_control_fd,
    opt_rtp_timestamps,
    opt_ao_file,
    opt_no_realtime
  };
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},
      {"control-fd", required_argument, nullptr, opt_control_fd},
      {"debug", no_argument, nullptr, 'd'},
      {"syslog", no_argument, nullptr, opt_syslog},
      {"no-syslog", no_argument, nullptr, opt_no_syslog},
      {"rtp-timestamps", required_argument, nullptr, opt_rtp_timestamps},
      {"ao-file", required_argument, nullptr, opt_ao_file},
      {"no-realtime", no_argument, nullptr, opt_no_realtime},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  std::optional<std::string> config_path;
  int control_fd = -1;
  bool debug = false;
  bool to_syslog = !::isatty(2);
  BackendOptions backend_options;
  bool realtime = true;
  int c;
  while ((c = getopt_long(argc, argv, "c:dhV", long_options, nullptr)) != -1) {
    switch (c) {
    case 'c':
      config_path = optarg;
      break;
    case 'd':
      debug = true;
      break;
    case opt_syslog:
      to_syslog = true;
      break;
    case opt_no_syslog:
      to_syslog = false;
      break;
    case opt_control_fd: {
      char* end = nullptr;
      long v = std::strtol(optarg, &end, 10);
      if (!*optarg || *end || v < 0 || v > 65535) {
        std::fprintf(stderr, "disorder-speaker: --control-fd %s is not a descriptor\n", optarg);
        return 2;
      }
      control_fd = static_cast<int>(v);
      break;
    }
    case opt_rtp_timestamps:
      if (std::strcmp(optarg, "frames") == 0) {
        backend_options.rtp_timestamps = RtpTimestamps::frames;
      } else if (std::strcmp(optarg, "samples") == 0) {
        backend_options.rtp_timestamps = RtpTimestamps::samples;
      } else {
        std::fprintf(stderr, "disorder-speaker: --rtp-timestamps takes frames or samples\n");
        return 2;
      }
      break;
    case opt_ao_file:
      backend_options.ao_file = optarg;
      break;
    case opt_no_realtime:
      realtime = false;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      std::printf("disorder-speaker version %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc || control_fd < 0) {
    usage(stderr);
    return 2;
  }

  log_setup("disorder-speaker", to_syslog ? LogSink::syslog_sink : LogSink::stderr_sink, debug);
  try {
    ensure_standard_fds();
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(control_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
      throw Error("--control-fd " + std::to_string(control_fd) + " is not a SOCK_SEQPACKET socket");
    // Not inherited by a speaker_command.
    set_cloexec(control_fd);
    // A command or a listener that goes away is an error return, not a signal.
    std::signal(SIGPIPE, SIG_IGN);

    const Config config =
        load_server_config(ConfigPaths::from_environment(config_path, std::nullopt));
    // nice_speaker is absolute (as disorderd applies it when it starts us),
    // so applying it again here changes nothing; 0 leaves what we inherited.
    if (config.nice_speaker != 0 && ::setpriority(PRIO_PROCESS, 0, config.nice_speaker) < 0)
      log_warning("nice_speaker " + std::to_string(config.nice_speaker) + ": " +
                  std::strerror(errno));
    const AudioFormat format = output_format(config);
    std::unique_ptr<Backend> backend = make_backend(config, backend_options);
    log_debug("api " + config.effective_api() + ", output " + format.to_string());

    EventLoop loop;
    AudioThread audio(*backend, format, realtime);
    int status;
    {
      Speaker speaker(loop, control_fd, *backend, audio, format, Speaker::Options{});
      auto on_term = [&loop](short) { loop.stop(); };
      auto sigterm = Event::signal(loop, SIGTERM, on_term);
      auto sigint = Event::signal(loop, SIGINT, on_term);
      audio.start();
      loop.run();
      status = speaker.exit_status();
    } // stops the audio thread, which closes the backend
    return status;
  } catch (const std::exception& e) {
    log_error(e.what());
    if (to_syslog) std::fprintf(stderr, "disorder-speaker: ERROR: %s\n", e.what());
    return 1;
  }
}
