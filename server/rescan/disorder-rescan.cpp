// disorder-rescan: brings the database's picture of the music collection up
// to date.  disorderd runs it as a child process; it can also be run by
// hand.  Parses the command line, loads the configuration, takes the rescan
// lock and runs one Rescan.
#include "config.h"
#include "config.hpp"
#include "crash_guard.hpp"
#include "db/schema.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "rescan.hpp"
#include "sqlite.hpp"

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <optional>
#include <pwd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace disorder;

namespace {

constexpr std::size_t kProgressEvery = 500;

void usage(std::FILE* f) {
  std::fprintf(f,
               "Usage: disorder-rescan [OPTIONS] [PATH...]\n"
               "Bring the database up to date with the music collection; with PATHs (roots\n"
               "or directories below one), only those.\n"
               "Options:\n"
               "  --config PATH, -c PATH    configuration file\n"
               "  --debug, -d               log debugging messages\n"
               "  --syslog                  log to syslog (default when stderr is not a terminal)\n"
               "  --no-syslog               log to stderr\n"
               "  --fresh                   read every file again, changed or not\n"
               "  --progress                print the number of tracks seen every %zu tracks\n"
               "  --help, -h                this message\n"
               "  --version, -V             print the version\n",
               kProgressEvery);
}

// Run as root with `user` configured: become that user, as disorderd does,
// so that the database and its journal files keep the server's ownership.
void become_configured_user(const Config& config) {
  if (::geteuid() != 0 || config.user.empty()) return;
  passwd* pw = ::getpwnam(config.user.c_str());
  if (!pw) throw Error("no such user '" + config.user + "' (configuration item 'user')");
  if (::initgroups(pw->pw_name, pw->pw_gid) < 0) throw_errno("initgroups");
  if (::setgid(pw->pw_gid) < 0) throw_errno("setgid");
  if (::setuid(pw->pw_uid) < 0) throw_errno("setuid");
}

// Waits for any other rescan of the same home to finish: two at once would
// each take the other's tracks for deleted.  Held until the Fd closes.
Fd take_rescan_lock(const std::string& home) {
  std::string path = home + "/rescan.lock";
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_errno("opening " + path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) throw_errno("locking " + path);
    log_info("waiting for another rescan to finish");
    while (::flock(fd.get(), LOCK_EX) < 0)
      if (errno != EINTR) throw_errno("locking " + path);
  }
  return fd;
}

// Why the rescan could not run goes to stderr as well as syslog: whoever
// started it (the server, a shell) reads it there.
void fatal(const char* what, bool to_syslog) {
  log_error(what);
  if (to_syslog) std::fprintf(stderr, "disorder-rescan: ERROR: %s\n", what);
}

} // namespace

int main(int argc, char** argv) {
  enum { opt_syslog = 256, opt_no_syslog, opt_fresh, opt_progress };
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},
      {"debug", no_argument, nullptr, 'd'},
      {"syslog", no_argument, nullptr, opt_syslog},
      {"no-syslog", no_argument, nullptr, opt_no_syslog},
      {"fresh", no_argument, nullptr, opt_fresh},
      {"progress", no_argument, nullptr, opt_progress},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  std::optional<std::string> config_path;
  bool debug = false;
  bool to_syslog = !::isatty(2);
  RescanOptions options;
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
    case opt_fresh:
      options.fresh = true;
      break;
    case opt_progress:
      options.progress_every = kProgressEvery;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      std::printf("disorder-rescan version %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  for (int i = optind; i < argc; ++i)
    options.paths.emplace_back(argv[i]);

  // TagLib allocates and frees a buffer or two per file; by default glibc
  // hands the memory back to the kernel and asks for it again every time,
  // which cost a tenth of a cold scan in brk/munmap calls.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  // The locale decides the filename encoding of collections that name none.
  std::setlocale(LC_CTYPE, "");
  // Run by hand, it may create the home, the database and its journals:
  // for the server's account only, as disorderd does (disorderd(8) FILES).
  ::umask(077);
  log_setup("disorder-rescan", to_syslog ? LogSink::syslog_sink : LogSink::stderr_sink, debug);
  try {
    Config config = load_server_config(ConfigPaths::from_environment(config_path, std::nullopt));
    become_configured_user(config);
    // Absolute, so that running it twice (by the server and by hand) agrees.
    if (::setpriority(PRIO_PROCESS, 0, config.nice_rescan) < 0)
      log_debug("cannot set priority " + std::to_string(config.nice_rescan));
    // The home as disorderd makes it (disorderd(8) FILES); the umask would
    // take away the others' search bit, which the public socket needs.
    if (::mkdir(config.home.c_str(), 0711) == 0)
      ::chmod(config.home.c_str(), 0711);
    else if (errno != EEXIST)
      throw_errno("creating " + config.home);
    Fd lock = take_rescan_lock(config.home);
    Database db(config.home + "/disorder.db");
    migrate_schema(db);
    CrashGuard guard(config.home + "/rescan.crashed");
    Rescan rescan(config, db, guard, std::move(options));
    rescan.run();
    return 0;
  } catch (const SyntaxError& e) {
    fatal(e.what(), to_syslog);
    return 2;
  } catch (const std::exception& e) {
    fatal(e.what(), to_syslog);
    return 1;
  }
}
