// disorderd: the jukebox daemon.  Parses the command line, loads the
// configuration, drops root, detaches, and runs the Server.
#include "commands/command_table.hpp"
#include "config.h"
#include "config.hpp"
#include "daemon.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "names/name_parts.hpp"
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
  LogLevel log_level = LogLevel::info;
  bool syslog = false;
  bool wait_for_root = false;
  bool check_config = false;
};

void usage(std::FILE* f) {
  std::fputs("Usage: disorderd [OPTIONS]\n"
             "Options:\n"
             "  --config PATH, -c PATH    configuration file\n"
             "  --foreground, -f          stay in the foreground (logs to stderr)\n"
             "  --syslog, -s              log to syslog even in the foreground\n"
             "  --pidfile PATH, -P PATH   write the process ID to PATH\n"
             "  --debug, -d               log debugging messages (--log-level debug)\n"
             "  --log-level LEVEL         log only messages at LEVEL or above: error,\n"
             "                            warning, info (the default) or debug\n"
             "  --check-config            check the configuration, then exit (starts no\n"
             "                            server)\n"
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

// --check-config: reads the configuration as the server would, and makes the
// checks the server would make at start before it touches anything, so that
// a mistake is found before a restart rather than by it.  Every problem is
// printed as "FILE[:LINE]: what is wrong"; returns the exit status.
int check_config(const ConfigPaths& paths) {
  auto [config, errors] = check_server_config_files(paths);
  if (errors.empty()) {
    // Items whose values are only judged when the server uses them.
    try {
      NameParts parts(config.namepart);
    } catch (const std::exception& e) {
      errors.push_back(paths.system + ": " + e.what());
    }
    if (!config.user.empty() && !::getpwnam(config.user.c_str()))
      errors.push_back(paths.system + ": user: no such user '" + config.user + "'");
  }
  for (const std::string& e : errors)
    std::fprintf(stderr, "%s\n", e.c_str());
  if (!errors.empty()) {
    std::fprintf(stderr, "disorderd: %zu error%s in the configuration\n", errors.size(),
                 errors.size() == 1 ? "" : "s");
    return 1;
  }
  // What the server would only log: it starts all the same.
  for (const Collection& c : config.collection) {
    struct stat st {};
    if (::stat(c.root.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      std::fprintf(stderr, "%s: warning: collection %s is not a directory\n", paths.system.c_str(),
                   c.root.c_str());
  }
  for (const std::string& note : ignored_item_notes(config))
    std::fprintf(stderr, "%s: note: %s\n", paths.system.c_str(), note.c_str());
  std::printf("configuration OK\n");
  return 0;
}

// Creates the missing directories above `home` (mode 0755: every local user
// passes through them to the public socket), as `mkdir -p` would: a home
// such as /usr/local/var/disorder may be configured before anything made
// /usr/local/var.  The server makes home itself, with its own mode.
void make_home_parents(const std::string& home) {
  for (size_t slash = home.find('/', 1); slash != std::string::npos;
       slash = home.find('/', slash + 1)) {
    const std::string dir = home.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      // Not the umask's 0700.
      ::chmod(dir.c_str(), 0755);
      log_info("created " + dir);
    } else if (errno != EEXIST) {
      throw_errno("creating " + dir + " (above home " + home + ")");
    }
  }
}

// --pidfile.  Opened before root is given up, since it may live in a
// directory only root can write; written only once this server holds its
// home's lock, so that a second server started by mistake leaves the first
// one's pidfile alone; removed when the server stops.  Where the server's
// account may not remove it any more, it is emptied instead (through the
// descriptor opened as root), which tools read as "not running".
class PidFile {
public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    fd_ = Fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    created_ = static_cast<bool>(fd_);
    if (!fd_ && errno == EEXIST) fd_ = Fd(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd_) throw_errno("opening pidfile " + path_);
    // Readable by all, as pidfiles are, whatever the umask.
    if (created_) ::fchmod(fd_.get(), 0644);
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  void write() {
    if (::ftruncate(fd_.get(), 0) < 0) throw_errno("writing pidfile " + path_);
    write_all(fd_.get(), std::to_string(::getpid()) + "\n");
    written_ = true;
  }

  ~PidFile() {
    // Someone else's pidfile (a server already running) is left alone.
    if (!written_ && !created_) return;
    if (::unlink(path_.c_str()) == 0 || errno == ENOENT) return;
    const int error = errno;
    if (written_ && ::ftruncate(fd_.get(), 0) == 0)
      log_warning("cannot remove pidfile " + path_ + " (" + std::strerror(error) +
                  "): emptied it instead");
    else
      log_warning("cannot remove pidfile " + path_ + ": " + std::strerror(error));
  }

private:
  std::string path_;
  Fd fd_;
  bool created_ = false;
  bool written_ = false;
};

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
  enum { opt_wait_for_root = 256, opt_help_commands, opt_log_level, opt_check_config };
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},
      {"foreground", no_argument, nullptr, 'f'},
      {"syslog", no_argument, nullptr, 's'},
      {"pidfile", required_argument, nullptr, 'P'},
      {"debug", no_argument, nullptr, 'd'},
      {"log-level", required_argument, nullptr, opt_log_level},
      {"check-config", no_argument, nullptr, opt_check_config},
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
      opts.log_level = LogLevel::debug;
      break;
    case opt_log_level:
      if (auto level = parse_log_level(optarg)) {
        opts.log_level = *level;
      } else {
        std::fprintf(stderr, "disorderd: unknown log level '%s' (error, warning, info or debug)\n",
                     optarg);
        return 2;
      }
      break;
    case opt_check_config:
      opts.check_config = true;
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
  log_setup("disorderd", LogSink::stderr_sink, opts.log_level);

  Fd report;
  try {
    auto paths = ConfigPaths::from_environment(opts.config, std::nullopt);
    if (opts.check_config) return check_config(paths);
    auto config = std::make_unique<Config>(load_server_config(paths));
    if (opts.wait_for_root) {
      wait_for_root(*config);
      return 0;
    }
    bool to_syslog = opts.syslog || !opts.foreground;
    if (!opts.foreground) report = daemonize("disorderd");
    log_setup("disorderd", to_syslog ? LogSink::syslog_sink : LogSink::stderr_sink, opts.log_level);
    if (report && log_sink() != LogSink::syslog_sink)
      // A detached server must not hold on to the terminal (or the pipe) of
      // whoever started it, so its stderr goes once it has started.
      log_warning("in the background, what the server logs after it has started is lost: "
                  "start it with --foreground to keep the log on standard error");
    for (const std::string& note : ignored_item_notes(*config))
      log_info(note);
    std::optional<PidFile> pidfile;
    if (opts.pidfile) pidfile.emplace(*opts.pidfile);
    make_home_parents(config->home);
    drop_privileges(*config);
    if (config->nice_server != 0) ::setpriority(PRIO_PROCESS, 0, config->nice_server);
    raise_descriptor_limit();
    Server server(paths, std::move(config));
    if (pidfile) pidfile->write();
    if (report) {
      write_all(report.get(), "ok");
      report.reset();
      Fd null(::open("/dev/null", O_RDWR));
      if (null) ::dup2(null.get(), 2);
    }
    server.run();
    pidfile.reset();
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
