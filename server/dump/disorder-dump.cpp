// disorder-dump: backs up the state of a server that a rescan cannot
// rebuild (users, preferences, global preferences, playlists, scheduled
// events) to a file,
// restores it from one (ours, or one written by DisOrder 5.2's
// disorder-dump), and rebuilds the indexes derived from track preferences.
// disorder-dump(8) is the user's description.
#include "config.h"
#include "config.hpp"
#include "db/schema.hpp"
#include "dump/dump_db.hpp"
#include "dump/dump_file.hpp"
#include "dump/dump_format.hpp"
#include "dump/peer_format.hpp"
#include "dump/server_account.hpp"
#include "error.hpp"
#include "log.hpp"
#include "track_db.hpp"
#include "track_prefs.hpp"

#include <cstdio>
#include <getopt.h>
#include <optional>
#include <sys/stat.h>

using namespace disorder;

namespace {

enum class Action { none, dump, undump, recompute_aliases };

struct Options {
  Action action = Action::none;
  std::string path;
  std::optional<std::string> config;
  bool remove_pathless = false;
  bool recover = false;
  bool no_setuid = false;
  bool debug = false;
};

void usage(std::FILE* f) {
  std::fputs("Usage:\n"
             "  disorder-dump [OPTIONS] --dump FILE\n"
             "  disorder-dump [OPTIONS] --undump FILE\n"
             "  disorder-dump [OPTIONS] --recompute-aliases\n"
             "Options:\n"
             "  --dump FILE, -d FILE      write users, preferences, global preferences,\n"
             "                            playlists and scheduled events to FILE (0600)\n"
             "  --undump FILE, -u FILE    replace them with FILE's (this program's format or\n"
             "                            DisOrder's); the server must not be running\n"
             "  --recompute-aliases, -a   rebuild the indexes derived from track preferences\n"
             "  --remove-pathless, -P     accepted for compatibility (nothing to remove)\n"
             "  --recover, -r             accepted for compatibility (SQLite recovers by itself)\n"
             "  --config PATH, -c PATH    configuration file\n"
             "  --no-setuid               do not act as the server's user when run as root\n"
             "  --debug                   log debugging messages\n"
             "  --help, -h                this message\n"
             "  --version, -V             print the version\n",
             f);
}

void set_action(Options& opts, Action action, const char* path) {
  if (opts.action != Action::none)
    throw SyntaxError("give only one of --dump, --undump and --recompute-aliases");
  opts.action = action;
  if (path) opts.path = path;
}

std::string counts(const DumpData& data) {
  return std::to_string(data.users.size()) + " users, " + std::to_string(data.globals.size()) +
         " global preferences, " + std::to_string(data.prefs.size()) + " track preferences, " +
         std::to_string(data.playlists.size()) + " playlists, " +
         std::to_string(data.schedule.size()) + " scheduled events";
}

// The file's contents as DumpData, whichever of the two formats it is in.
DumpData parse_any(const std::string& path, const std::string& text) {
  std::vector<std::string> notes;
  try {
    DumpData data;
    if (is_own_dump(text))
      data = parse_dump(text);
    else if (is_peer_dump(text))
      data = parse_peer_dump(text, notes);
    else
      throw DumpFormatError("not a dump file (neither disorder-dump's format nor DisOrder's)");
    check_dump_data(data);
    for (const auto& note : notes)
      log_warning(path + ": " + note);
    return data;
  } catch (const DumpFormatError& e) {
    throw Error(path + ": " + e.what() + "; nothing was changed");
  }
}

int run(const Options& opts) {
  auto paths = ConfigPaths::from_environment(opts.config, std::nullopt);
  const Config config = load_server_config(paths);
  const bool become_server = !opts.no_setuid;
  const std::string db_path = config.home + "/disorder.db";
  const std::string key_path = config.home + "/private/password-key";
  if (opts.recover)
    log_info("--recover: nothing to do (SQLite recovers the database by itself when it is "
             "next opened)");
  if (opts.remove_pathless)
    log_info("--remove-pathless: nothing to do (aliases are computed, never stored as tracks)");

  switch (opts.action) {
  case Action::dump: {
    DumpData data;
    {
      ServerAccount as_server(config, become_server);
      struct stat st;
      if (::stat(db_path.c_str(), &st) < 0) throw_errno("cannot dump " + db_path);
      if (::stat(key_path.c_str(), &st) < 0)
        throw_errno("cannot read passwords without the key " + key_path);
      Database db(db_path);
      PasswordVault vault(key_path);
      data = read_database(db, vault);
    }
    write_file_privately(opts.path, format_dump(data));
    log_debug("dumped " + counts(data) + " to " + opts.path);
    return 0;
  }
  case Action::undump: {
    const DumpData data = parse_any(opts.path, read_regular_file(opts.path));
    prepare_home(config, become_server);
    ServerAccount as_server(config, become_server);
    HomeLock lock(config.home);
    Database db(db_path);
    migrate_schema(db);
    PasswordVault vault(key_path);
    TrackDb tracks(db, config);
    TrackPrefs prefs(db, tracks);
    replace_database(db, vault, prefs, data);
    log_debug("restored " + counts(data) + " from " + opts.path);
    return 0;
  }
  case Action::recompute_aliases: {
    ServerAccount as_server(config, become_server);
    struct stat st;
    if (::stat(db_path.c_str(), &st) < 0) throw_errno(db_path);
    Database db(db_path);
    migrate_schema(db);
    TrackDb tracks(db, config);
    TrackPrefs prefs(db, tracks);
    db.transaction([&] { prefs.reindex_all(); });
    return 0;
  }
  case Action::none:
    break;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  enum { opt_no_setuid = 256, opt_debug };
  static const option long_options[] = {
      {"dump", required_argument, nullptr, 'd'},
      {"undump", required_argument, nullptr, 'u'},
      {"recompute-aliases", no_argument, nullptr, 'a'},
      {"remove-pathless", no_argument, nullptr, 'P'},
      {"recover", no_argument, nullptr, 'r'},
      {"config", required_argument, nullptr, 'c'},
      {"no-setuid", no_argument, nullptr, opt_no_setuid},
      {"debug", no_argument, nullptr, opt_debug},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  log_setup("disorder-dump", LogSink::stderr_sink, false);
  Options opts;
  try {
    int c;
    while ((c = getopt_long(argc, argv, "d:u:aPrc:hV", long_options, nullptr)) != -1) {
      switch (c) {
      case 'd':
        set_action(opts, Action::dump, optarg);
        break;
      case 'u':
        set_action(opts, Action::undump, optarg);
        break;
      case 'a':
        set_action(opts, Action::recompute_aliases, nullptr);
        break;
      case 'P':
        opts.remove_pathless = true;
        break;
      case 'r':
        opts.recover = true;
        break;
      case 'c':
        opts.config = optarg;
        break;
      case opt_no_setuid:
        opts.no_setuid = true;
        break;
      case opt_debug:
        opts.debug = true;
        break;
      case 'h':
        usage(stdout);
        return 0;
      case 'V':
        std::printf("disorder-dump version %s\n", PACKAGE_VERSION);
        return 0;
      default:
        usage(stderr);
        return 2;
      }
    }
  } catch (const SyntaxError& e) {
    std::fprintf(stderr, "disorder-dump: %s\n", e.what());
    return 2;
  }
  if (optind < argc) {
    std::fprintf(stderr, "disorder-dump: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (opts.action == Action::none && !opts.recover) {
    std::fprintf(stderr, "disorder-dump: give --dump FILE, --undump FILE or --recompute-aliases\n");
    usage(stderr);
    return 2;
  }
  // What is created in the server's home is for the server's account only,
  // like everything disorderd creates there (disorderd(8) FILES).
  ::umask(077);
  log_setup("disorder-dump", LogSink::stderr_sink, opts.debug);
  try {
    return run(opts);
  } catch (const std::exception& e) {
    log_error(e.what());
    return 1;
  }
}
