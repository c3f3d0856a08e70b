// disorder(1): the command-line client.  Parses the options, loads the
// client configuration, then runs the commands that follow in order over
// one connection.  Exit status: 0 on success, 1 when a command or the
// connection fails, 2 for a bad command line.
#include "cli.hpp"
#include "client.hpp"
#include "config.hpp"
#include "error.hpp"

#include <config.h>

#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace disorder;

constexpr const char* synopsis = "Usage: disorder [OPTIONS] [--] [COMMANDS...]\n";

void print_usage(std::ostream& out) {
  out << synopsis
      << "Options:\n"
         "  --config PATH, -c PATH       Set the system configuration file\n"
         "  --user-config PATH, -u PATH  Set the user configuration file\n"
         "  --no-per-user-config, -N     Do not read the per-user configuration files\n"
         "  --local, -l                  Connect to the server on this host, whatever the\n"
         "                               configuration's connect says\n"
         "  --user USER                  Log in as USER (overrides the configuration)\n"
         "  --password PASSWORD          Log in with PASSWORD (overrides the configuration)\n"
         "  --table                      Print queue, recent and playing as aligned columns,\n"
         "                               prefs and rtp-address as space-separated fields\n"
         "  --json                       Print what each command reports as one JSON value\n"
         "  --debug, -d                  Show the protocol exchange on standard error\n"
         "  --help, -h                   Display this message\n"
         "  --version, -V                Display the version number\n"
         "  --help-commands, -H          List the commands\n"
         "With no commands, connect to the server and disconnect (a liveness test); on a\n"
         "terminal, display the status as the status command does.\n";
}

struct Options {
  std::optional<std::string> config;
  std::optional<std::string> user_config;
  std::optional<std::string> user;
  std::optional<std::string> password;
  bool no_per_user_config = false;
  bool local = false;
  cli::Format format = cli::Format::disorder;
  bool debug = false;
  std::vector<std::string> words; // the commands and their arguments
};

// Which of the informational options was given, if any: they act at once.
enum class Info { none, help, version, help_commands };

Info parse_options(int argc, char** argv, Options& options) {
  enum { opt_user = 256, opt_password, opt_table, opt_json };
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},
      {"user-config", required_argument, nullptr, 'u'},
      {"no-per-user-config", no_argument, nullptr, 'N'},
      {"local", no_argument, nullptr, 'l'},
      {"table", no_argument, nullptr, opt_table},
      {"json", no_argument, nullptr, opt_json},
      {"debug", no_argument, nullptr, 'd'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"help-commands", no_argument, nullptr, 'H'},
      {"user", required_argument, nullptr, opt_user},
      {"password", required_argument, nullptr, opt_password},
      {nullptr, 0, nullptr, 0},
  };
  // "+": options end at the first command, so command arguments such as
  // setup-guest's --no-online-registration or a negative move reach the
  // command untouched.  ":" first: we report errors ourselves.
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+:c:u:NldhVH", long_options, nullptr)) != -1) {
    switch (c) {
    case 'c':
      options.config = optarg;
      break;
    case 'u':
      options.user_config = optarg;
      break;
    case 'N':
      options.no_per_user_config = true;
      break;
    case 'l':
      options.local = true;
      break;
    case opt_table:
      options.format = cli::Format::table;
      break;
    case opt_json:
      options.format = cli::Format::json;
      break;
    case 'd':
      options.debug = true;
      break;
    case 'h':
      return Info::help;
    case 'V':
      return Info::version;
    case 'H':
      return Info::help_commands;
    case opt_user:
      options.user = optarg;
      break;
    case opt_password:
      options.password = optarg;
      break;
    case ':':
      throw cli::UsageError(std::string("option '") + argv[optind - 1] + "' needs an argument");
    default:
      if (optopt && optopt < 256)
        throw cli::UsageError(std::string("unknown option '-") + static_cast<char>(optopt) + "'");
      throw cli::UsageError(std::string("unknown option '") + argv[optind - 1] + "'");
    }
  }
  options.words.assign(argv + optind, argv + argc);
  return Info::none;
}

// What to say when no connection could be made: where we looked for the
// server, and which configuration line (or default) sent us there, since a
// wrong file or a stale `home` is the usual reason.
std::string connect_failure(const ConnectError& e, const Config& config,
                            const ConfigOrigins& origins, bool local) {
  std::string where;
  std::string item;
  if (config.connect) {
    where = config.connect->host + " port " + config.connect->service;
    item = "connect";
  } else {
    where = e.address();
    item = "home";
  }
  const bool absent = e.code() == ECONNREFUSED || e.code() == ENOENT;
  std::string text =
      absent ? "disorderd does not seem to be running at " + where +
                   " (cannot connect: " + std::strerror(e.code()) + ")"
             : "cannot connect to disorderd at " + where + ": " + std::strerror(e.code());
  auto origin = origins.find(item);
  if (origin != origins.end())
    text += "; that address comes from '" + item + "' at " + origin->second;
  else
    text += "; that is the default address (no configuration file sets 'home'" +
            std::string(local ? "" : " or 'connect'") + ")";
  if (local && origins.contains("connect")) text += "; --local ignores 'connect'";
  return text;
}

int run(int argc, char** argv) {
  Options options;
  std::vector<cli::Invocation> invocations;
  try {
    switch (parse_options(argc, argv, options)) {
    case Info::help:
      print_usage(std::cout);
      return 0;
    case Info::version:
      std::cout << "disorder version " << PACKAGE_VERSION << "\n";
      return 0;
    case Info::help_commands:
      cli::print_commands(std::cout);
      return 0;
    case Info::none:
      break;
    }
    invocations = cli::parse_invocations(options.words);
  } catch (const cli::UsageError& e) {
    std::cerr << "disorder: " << e.what() << "\n"
              << synopsis
              << "Try 'disorder --help' for the options, 'disorder --help-commands' for the "
                 "commands.\n";
    return 2;
  }

  ConfigPaths paths = ConfigPaths::from_environment(options.config, options.user_config);
  if (options.no_per_user_config) {
    // Only the system-wide files then: the configuration and its private
    // companion.
    paths.user.clear();
    paths.user_sys.clear();
  }
  ConfigOrigins origins;
  Config config = load_client_config(paths, &origins);
  // The local server: its UNIX sockets, in the configuration's home.
  if (options.local) config.connect.reset();
  if (options.user && *options.user != config.username) {
    // The configured password belongs to the configured user, not this one;
    // without --password, log in through the privileged socket if we can.
    config.username = *options.user;
    config.password.clear();
  }
  if (options.password) config.password = *options.password;

  Client::Trace trace;
  if (options.debug) trace = [](std::string_view line) { std::cerr << line << '\n'; };
  cli::Context context(config, std::cin, std::cout, options.format, std::move(trace));
  try {
    if (invocations.empty()) {
      // Scripts use the silent check; a person at a terminal wants to see.
      if (::isatty(STDOUT_FILENO))
        cli::print_status(context);
      else
        context.client();
    }
    for (const auto& inv : invocations)
      inv.command->handler(context, inv.args);
  } catch (const ConnectError& e) {
    throw Error(connect_failure(e, config, origins, options.local));
  }
  std::cout.flush();
  if (!std::cout) throw Error("cannot write to standard output");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "disorder: " << e.what() << "\n";
    return 1;
  }
}
