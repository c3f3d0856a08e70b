// disorderd: the jukebox daemon.  Parses the command line, loads the
// configuration, drops root, detaches, and runs the Server.
#include "commands/command_table.hpp"
#include "config.h"
#include "config.hpp"
#include "daemon.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "server.hpp"
#include "wait_for_root.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <optional>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace disorder;

namespace {

struct Options {
  std::optional<std::string> config;
  std::optional<std::string> pidfile;
  bool foreground = false;
  bool debug = false;
  bool syslog = false;
  bool wait_for_root = false;
};

void usage(std::FILE* f) {
  std::fputs("Usage: disorderd [OPTIONS]\n"
             "Options:\n"
             "  --config PATH, -c PATH    configuration file\n"
             "  --foreground, -f          stay in the foreground (logs to stderr)\n"
             "  --syslog, -s              log to syslog even in the foreground\n"
             "  --pidfile PATH, -P PATH   write the process ID to PATH\n"
             "  --debug, -d               log debugging messages\n"
             "  --wait-for-root           wait until the user root exists, then exit\n"
             "                            (starts no server)\n"
             "  --help-commands           list the protocol commands and their rights\n"
             "  --help, -h                this message\n"
             "  --version, -V             print the version\n",
             f);
}

void help_commands() {
  for (const auto& c : all_commands()) {
    // Fields are separated by spaces here, so the names of two words are
    // written with an underscore.
    std::string rights = c.needs_auth ? format_rights(c.rights, RightsSpelling::underscores) : "-";
    // NAME MIN-ARGS MAX-ARGS RIGHTS, and "body" if a body follows the command.
    std::printf("%s %d %d %s%s\n", std::string(c.name).c_str(), c.min_args, c.max_args,
                rights.empty() ? "-" : rights.c_str(), c.takes_body ? " body" : "");
  }
}

// disorder_config(5) `user`: run as that user, which owns the home
// directory.  Root is never kept.
void drop_privileges(const Config& config) {
  if (::geteuid() == 0 && !config.user.empty()) {
    passwd* pw = ::getpwnam(config.user.c_str());
    if (!pw) throw Error("no such user '" + config.user + "' (configuration item 'user')");
    // The home directory must belong to the server's user.  Its mode is
    // that of disorderd(8) FILES (the umask would take the others' search
    // bit, which the public socket needs).
    if (::mkdir(config.home.c_str(), 0711) == 0)
      ::chmod(config.home.c_str(), 0711);
    else if (errno != EEXIST)
      throw_errno("creating " + config.home);
    if (::chown(config.home.c_str(), pw->pw_uid, pw->pw_gid) < 0)
      throw_errno("chown " + config.home);
  }
  become_user(config.user);
}

} // namespace

int main(int argc, char** argv) {
  enum { opt_wait_for_root = 256, opt_help_commands };
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},
      {"foreground", no_argument, nullptr, 'f'},
      {"syslog", no_argument, nullptr, 's'},
      {"pidfile", required_argument, nullptr, 'P'},
      {"debug", no_argument, nullptr, 'd'},
      {"wait-for-root", no_argument, nullptr, opt_wait_for_root},
      {"help-commands", no_argument, nullptr, opt_help_commands},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  Options opts;
  int c;
  while ((c = getopt_long(argc, argv, "c:fsP:dhV", long_options, nullptr)) != -1) {
    switch (c) {
    case 'c':
      opts.config = optarg;
      break;
    case 'f':
      opts.foreground = true;
      break;
    case 's':
      opts.syslog = true;
      break;
    case 'P':
      opts.pidfile = optarg;
      break;
    case 'd':
      opts.debug = true;
      break;
    case opt_wait_for_root:
      opts.wait_for_root = true;
      break;
    case opt_help_commands:
      help_commands();
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      std::printf("disorderd version %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "disorderd: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // What the server and its helpers (disorder-rescan, the decoders, the
  // speaker) create is for the server's account only (disorderd(8) FILES);
  // the public socket and the pidfile are opened up explicitly.
  ::umask(077);
  log_setup("disorderd", LogSink::stderr_sink, opts.debug);

  Fd report;
  try {
    auto paths = ConfigPaths::from_environment(opts.config, std::nullopt);
    auto config = std::make_unique<Config>(load_server_config(paths));
    if (opts.wait_for_root) {
      wait_for_root(*config);
      return 0;
    }
    bool to_syslog = opts.syslog || !opts.foreground;
    if (!opts.foreground) report = daemonize("disorderd");
    log_setup("disorderd", to_syslog ? LogSink::syslog_sink : LogSink::stderr_sink, opts.debug);
    for (const std::string& note : ignored_item_notes(*config))
      log_info(note);
    // The pidfile is written before root is given up, so it may live in a
    // directory only root can write (its removal at exit may then fail).
    if (opts.pidfile) {
      Fd pf(::open(opts.pidfile->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!pf) throw_errno("writing pidfile " + *opts.pidfile);
      // Readable by all, as pidfiles are, whatever the umask.
      ::fchmod(pf.get(), 0644);
      write_all(pf.get(), std::to_string(::getpid()) + "\n");
    }
    drop_privileges(*config);
    if (config->nice_server != 0) ::setpriority(PRIO_PROCESS, 0, config->nice_server);
    raise_descriptor_limit();
    Server server(paths, std::move(config));
    if (report) {
      write_all(report.get(), "ok");
      report.reset();
      Fd null(::open("/dev/null", O_RDWR));
      if (null) ::dup2(null.get(), 2);
    }
    server.run();
    if (opts.pidfile) ::unlink(opts.pidfile->c_str());
    log_info("stopped");
    return 0;
  } catch (const std::exception& e) {
    if (report) {
      try {
        write_all(report.get(), e.what());
      } catch (...) {
      }
    }
    log_error(e.what());
    return 1;
  }
}
