// disorder-web: the jukebox's web page and its JSON API, a client of
// disorderd like any other.  Parses the command line, loads the
// configuration, listens, gives up root, detaches and serves.
#include "config.h"
#include "config.hpp"
#include "crypto.hpp"
#include "daemon.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "web/http_server.hpp"
#include "web/web_app.hpp"

#include <cstdio>
#include <fcntl.h>
#include <getopt.h>
#include <optional>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace disorder;

namespace {

void usage(FILE* f) {
  std::fprintf(f, "Usage: disorder-web [OPTIONS]\n"
                  "Serves the jukebox's web page (disorder-web(8)).\n"
                  "  --config PATH, -c PATH    configuration file\n"
                  "  --foreground, -f          stay in the foreground (logs to stderr)\n"
                  "  --syslog, -s              log to syslog even in the foreground\n"
                  "  --pidfile PATH, -P PATH   write the process id to PATH\n"
                  "  --debug, -d               log debugging detail\n"
                  "  --help, -h                show this help\n"
                  "  --version, -V             show the version\n");
}

} // namespace

int main(int argc, char** argv) {
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'}, {"foreground", no_argument, nullptr, 'f'},
      {"syslog", no_argument, nullptr, 's'},       {"pidfile", required_argument, nullptr, 'P'},
      {"debug", no_argument, nullptr, 'd'},        {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},      {nullptr, 0, nullptr, 0},
  };
  std::optional<std::string> config_path, pidfile;
  bool foreground = false, syslog = false, debug = false;
  int c;
  while ((c = getopt_long(argc, argv, "c:fsP:dhV", long_options, nullptr)) != -1) {
    switch (c) {
    case 'c':
      config_path = optarg;
      break;
    case 'f':
      foreground = true;
      break;
    case 's':
      syslog = true;
      break;
    case 'P':
      pidfile = optarg;
      break;
    case 'd':
      debug = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      std::printf("disorder-web version %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "disorder-web: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(022);
  log_setup("disorder-web", LogSink::stderr_sink, debug);
  crypto_init();

  Fd report;
  try {
    auto paths = ConfigPaths::from_environment(config_path, std::nullopt);
    const Config config = load_server_config(paths);
    if (!foreground) report = daemonize("disorder-web");
    log_setup("disorder-web", syslog || !foreground ? LogSink::syslog_sink : LogSink::stderr_sink,
              debug);
    if (pidfile) {
      Fd pf(::open(pidfile->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!pf) throw_errno("writing pidfile " + *pidfile);
      write_all(pf.get(), std::to_string(::getpid()) + "\n");
    }
    EventLoop loop;
    web::WebApp app(loop, config);
    web::HttpServer http(loop, web::HttpServer::Limits{},
                         [&app](std::shared_ptr<web::HttpRequest> r) { app.handle(r); });
    // Listening first: the port may be one only root may take.
    http.listen(config.web_listen);
    become_user(config.user);
    raise_descriptor_limit();
    if (::access(config.web_static.c_str(), R_OK | X_OK) < 0)
      log_warning("cannot read the page's files in " + config.web_static +
                  " (web_static): the page will not load");
    for (const auto& port : http.bound())
      log_info("serving the web page on port " + port);
    auto stop = [&loop](short) { loop.stop(); };
    auto term = Event::signal(loop, SIGTERM, stop);
    auto intr = Event::signal(loop, SIGINT, stop);
    if (report) {
      write_all(report.get(), "ok");
      report.reset();
      Fd null(::open("/dev/null", O_RDWR));
      if (null) ::dup2(null.get(), 2);
    }
    loop.run();
    if (pidfile) ::unlink(pidfile->c_str());
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
