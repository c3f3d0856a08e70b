// The table of disorder(1) commands.  Adding a command is adding one entry:
// its name, how many arguments it takes, its help, and a handler that
// usually sends one protocol command and prints the reply.
#include "cli.hpp"

#include "fd.hpp"
#include "rights.hpp"
#include "split.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace disorder::cli {

namespace {

bool is_regexp_argument(std::string_view word) {
  return word.starts_with('~');
}

bool is_absolute_path(std::string_view word) {
  return word.starts_with('/');
}

bool is_no_registration_flag(std::string_view word) {
  return word == "--no-online-registration";
}

bool is_count(std::string_view word) {
  return !word.empty() && word.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_rescan_flag(std::string_view word) {
  return word == "--wait" || word == "--fresh";
}

// rescan --wait on a terminal shows the rescan's progress on stderr.  The
// rescan command holds its connection until the rescan ends, so the event
// log is followed on a second connection, in a child process: the client is
// blocking, and a child can simply be killed when the reply comes, where a
// thread blocked reading the log could not be stopped.

// Wide enough for any count, so that each display covers the last.
constexpr std::size_t kProgressWidth = 32;

// Rewrites the progress line, padded to cover a longer one, with the cursor
// left after the text (or on the next line with end_line).  One write, so
// that killing the child that calls it never leaves half a line.  Errors (a
// closed terminal) are ignored.
void show_progress(std::string_view text, bool end_line = false) {
  std::string line = "\r" + std::string(text);
  if (text.size() < kProgressWidth) line.append(kProgressWidth - text.size(), ' ');
  line += end_line ? "\n" : "\r" + std::string(text);
  try {
    write_all(STDERR_FILENO, line);
  } catch (const std::exception&) {
  }
}

std::string tracks_text(std::string_view prefix, std::string_view count) {
  return std::string(prefix) + std::string(count) + (count == "1" ? " track" : " tracks");
}

// The child: shows each rescan_progress count and reports to the parent on
// `report`, one line each: "ready" once it follows the log, "done N" (the
// last count, or -1) for each rescanned event.  Never returns; _exit, so
// that nothing of the parent's (buffered output, connections) is flushed or
// closed twice.
[[noreturn]] void follow_progress(const Config& config, int report, pid_t parent) {
  ::signal(SIGPIPE, SIG_IGN);
  // Do not outlive the command if it dies without stopping us.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(0);
  try {
    Client log = Client::connect(config);
    bool ready = false;
    std::string count = "-1";
    log.follow_log([&](std::string_view line) {
      if (!ready) {
        write_all(report, "ready\n");
        ready = true;
      }
      std::vector<std::string> f;
      try {
        f = split_fields(line);
      } catch (const SyntaxError&) {
        return true; // not ours to judge: the parent reports real trouble
      }
      if (f.size() == 3 && f[1] == "rescan_progress" && is_count(f[2])) {
        count = f[2];
        show_progress(tracks_text("rescanning: ", count));
      } else if (f.size() >= 2 && f[1] == "rescanned") {
        write_all(report, "done " + count + "\n");
      }
      return true;
    });
  } catch (const std::exception&) {
    // No progress then; the parent sees the pipe close.
  }
  ::_exit(0);
}

// The parent's side of the child above.  Not copyable; the destructor stops
// and reaps the child.
class ProgressFollower {
public:
  explicit ProgressFollower(const Config& config) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
    Fd read_end(p[0]), write_end(p[1]);
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw_errno("fork");
    if (pid_ == 0) follow_progress(config, write_end.get(), parent);
    reports_ = std::move(read_end);
  }
  ProgressFollower(const ProgressFollower&) = delete;
  ProgressFollower& operator=(const ProgressFollower&) = delete;
  ~ProgressFollower() { stop(); }

  // Until the child follows the log (so that it will see the end of the
  // rescan about to be asked for), has given up, or `limit` has passed.
  void wait_ready(std::chrono::milliseconds limit) {
    read_reports(limit, [this] { return ready_; });
  }

  // After the rescan's reply: lets the child report the rescanned event
  // (which the server sends before that reply, on the other connection),
  // and so show the last count, for at most `limit`; then stops it.
  // Returns that count, or nullopt if unknown.
  std::optional<std::string> finish(std::chrono::milliseconds limit) {
    read_reports(limit, [this] { return done_.has_value(); });
    stop();
    if (done_ && *done_ != "-1") return done_;
    return std::nullopt;
  }

private:
  template <typename Pred> void read_reports(std::chrono::milliseconds limit, Pred satisfied) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (reports_ && !satisfied()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      pollfd pfd{reports_.get(), POLLIN, 0};
      int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return;
      char buf[256];
      ssize_t n = ::read(reports_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        reports_.reset(); // the child has gone
        return;
      }
      pending_.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = pending_.find('\n')) != std::string::npos) {
        std::string report = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (report == "ready")
          ready_ = true;
        else if (report.starts_with("done "))
          done_ = report.substr(5);
      }
    }
  }

  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  Fd reports_;
  std::string pending_;
  bool ready_ = false;
  std::optional<std::string> done_;
};

// Whether the logged-in user holds the admin right, which rescan_progress
// events need.  A user who may not even read their own rights is not one.
bool holds_admin(Context& c) {
  try {
    std::string rights = c.run({"userinfo", c.client().user(), "rights"}).value();
    return (parse_rights(rights) & right::admin) != 0;
  } catch (const CommandError&) {
    return false;
  } catch (const SyntaxError&) {
    return false;
  }
}

// rescan [--wait] [--fresh].  Waiting on a terminal shows "rescanning..."
// (with the count for an admin) and then "rescan completed"; otherwise it
// prints nothing, as every command that succeeds.
void rescan(Context& c, Args a) {
  std::vector<std::string> command{"rescan"};
  bool wait = std::find(a.begin(), a.end(), "--wait") != a.end();
  if (wait) command.push_back("wait");
  if (std::find(a.begin(), a.end(), "--fresh") != a.end()) command.push_back("fresh");
  if (!wait || !::isatty(STDERR_FILENO)) {
    c.run(command);
    return;
  }
  bool admin = holds_admin(c); // also logs in, before anything is shown
  show_progress("rescanning...");
  std::optional<ProgressFollower> follower;
  if (admin) {
    follower.emplace(c.config());
    follower->wait_ready(std::chrono::seconds(5));
  }
  try {
    c.run(command);
  } catch (...) {
    follower.reset();
    show_progress("");
    throw;
  }
  std::optional<std::string> count;
  if (follower) count = follower->finish(std::chrono::seconds(2));
  show_progress(count ? tracks_text("rescan completed: ", *count) : "rescan completed", true);
}

// files, dirs and allfiles: the optional regexp is marked with a leading '~' on the
// command line, which the protocol does not have.
std::vector<std::string> listing(std::string_view name, Args a) {
  std::vector<std::string> f{std::string(name)};
  if (!a.empty()) f.push_back(a[0]);
  if (a.size() > 1) {
    // dirs and allfiles take any word as their optional DIRECTORY, so the
    // REGEXP's '~' is checked here.
    if (!is_regexp_argument(a[1]))
      throw UsageError("'" + a[1] + "' is not a REGEXP: a REGEXP starts with '~' (usage: " +
                       std::string(name) + " [DIRECTORY [~REGEXP]])");
    f.push_back(a[1].substr(1));
  }
  return f;
}

// The two fields of a reply (volume, rtp-address), named first and second:
// on one line, separated by a space, or as a JSON object.  With `labelled`,
// DisOrder's form is a line "NAME: VALUE" for each.
void print_pair(Context& c, const std::vector<std::string>& command, std::string_view first,
                std::string_view second, bool labelled = false) {
  Reply reply = c.run(command);
  std::vector<std::string> f = reply_fields(reply.text);
  if (f.size() != 2) throw ProtocolError("malformed reply from server: " + reply.text);
  if (c.json())
    c.out() << "{" << json_string(first) << ": " << json_string(f[0]) << ", " << json_string(second)
            << ": " << json_string(f[1]) << "}\n";
  else if (labelled && c.format() == Format::disorder)
    c.out() << first << ": " << f[0] << '\n' << second << ": " << f[1] << '\n';
  else
    c.out() << f[0] << ' ' << f[1] << '\n';
}

// prefs: one preference a line, "NAME = VALUE" as DisOrder prints it, or
// "NAME VALUE" in the table format, or a JSON object.
void print_prefs(Context& c, Args a) {
  std::vector<std::pair<std::string, std::string>> prefs;
  for (const auto& line : c.run(fields("prefs", a)).body) {
    std::vector<std::string> f = reply_fields(line);
    if (f.size() != 2) throw ProtocolError("malformed preference from server: " + line);
    prefs.emplace_back(std::move(f[0]), std::move(f[1]));
  }
  if (c.json()) {
    std::string out = "{";
    for (std::size_t i = 0; i < prefs.size(); ++i)
      out += (i ? ", " : "") + json_string(prefs[i].first) + ": " + json_string(prefs[i].second);
    c.out() << out << "}\n";
    return;
  }
  const char* separator = c.format() == Format::table ? " " : " = ";
  for (const auto& [name, value] : prefs)
    c.out() << name << separator << value << '\n';
}

bool is_now(std::string_view word) {
  return word == "now";
}

bool is_long_flag(std::string_view word) {
  return word == "--long";
}

// Sorted by name; --help-commands shows them in this order.
const std::array table{
    Command{"adduser", 2, 3, "USERNAME PASSWORD [RIGHTS]",
            "Create a user, with the server's default_rights unless RIGHTS are given",
            [](Context& c, Args a) { c.run(fields("adduser", a)); }},
    Command{"adopt", 1, 1, "ID", "Adopt the randomly picked track ID in the queue",
            [](Context& c, Args a) { c.run(fields("adopt", a)); }},
    Command{"allfiles", 0, 2, "[DIRECTORY [~REGEXP]]",
            "List the files and directories in DIRECTORY, or those whose name matches REGEXP "
            "(no DIRECTORY: the collection roots)",
            [](Context& c, Args a) { c.print_body(listing("allfiles", a)); }},
    Command{"authorize", 1, 2, "USERNAME [RIGHTS]",
            "Create a user for a UNIX login with a random password, written to its "
            "~/.disorder/passwd",
            authorize},
    Command{"deluser", 1, 1, "USERNAME", "Delete a user",
            [](Context& c, Args a) { c.run(fields("deluser", a)); }},
    Command{"dirs", 0, 2, "[DIRECTORY [~REGEXP]]",
            "List the directories in DIRECTORY, or those whose name matches REGEXP (no "
            "DIRECTORY: the collection roots)",
            [](Context& c, Args a) { c.print_body(listing("dirs", a)); }},
    Command{"disable", 0, 1, "[now]",
            "Stop playing after the current track (with 'now': stop the current track too)",
            [](Context& c, Args a) { c.run(fields("disable", a)); }, is_now},
    Command{"disable-random", 0, 0, "", "Disable random play (the same as random-disable)",
            [](Context& c, Args) { c.run({"random-disable"}); }},
    Command{"edituser", 3, 3, "USERNAME PROPERTY VALUE", "Set a property of a user",
            [](Context& c, Args a) { c.run(fields("edituser", a)); }},
    Command{"enable", 0, 0, "", "(Re-)enable playing", [](Context& c, Args) { c.run({"enable"}); }},
    Command{"enable-random", 0, 0, "", "Enable random play (the same as random-enable)",
            [](Context& c, Args) { c.run({"random-enable"}); }},
    Command{"enabled", 0, 0, "", "Report whether playing is enabled (yes or no)",
            [](Context& c, Args) { c.print_yes_no({"enabled"}); }},
    Command{"exists", 1, 1, "TRACK", "Report whether TRACK exists (yes or no)",
            [](Context& c, Args a) { c.print_yes_no(fields("exists", a)); }},
    Command{"files", 1, 2, "DIRECTORY [~REGEXP]",
            "List the files in DIRECTORY, or those whose name matches REGEXP",
            [](Context& c, Args a) { c.print_body(listing("files", a)); }, is_regexp_argument},
    Command{"get", 2, 2, "TRACK KEY", "Display the preference KEY of TRACK",
            [](Context& c, Args a) { c.print_value(fields("get", a)); }},
    Command{"get-global", 1, 1, "KEY", "Display a global preference",
            [](Context& c, Args a) { c.print_value(fields("get-global", a)); }},
    Command{"get-volume", 0, 0, "", "Display the volume (left and right)",
            [](Context& c, Args) { print_pair(c, {"volume"}, "left", "right"); }},
    Command{"length", 1, 1, "TRACK", "Display the length of TRACK in seconds",
            [](Context& c, Args a) { c.print_value(fields("length", a)); }},
    Command{"log", 0, 0, "", "Write the server's event log to standard output until it stops",
            [](Context& c, Args) {
              c.client().follow_log([&c](std::string_view line) {
                // --json: each event as the array of its fields.
                if (c.json()) {
                  std::vector<std::string> f = reply_fields(line);
                  c.out() << '[';
                  for (std::size_t i = 0; i < f.size(); ++i)
                    c.out() << (i ? ", " : "") << json_string(f[i]);
                  c.out() << "]\n";
                } else {
                  c.out() << line << '\n';
                }
                c.out().flush();
                return static_cast<bool>(c.out());
              });
            }},
    Command{"make-cookie", 0, 0, "", "Display a cookie that logs this user in",
            [](Context& c, Args) { c.print_value({"make-cookie"}); }},
    Command{"move", 2, 2, "TRACK DELTA",
            "Move TRACK by DELTA places in the queue (positive is towards the head)",
            [](Context& c, Args a) { c.run(fields("move", a)); }},
    Command{"moveafter", 2, unlimited, "TARGET ID...",
            "Move the queued IDs, in order, to just after TARGET ('' for the head)",
            [](Context& c, Args a) { c.run(fields("moveafter", a)); }},
    Command{"new", 0, 1, "[MAX]",
            "List the tracks added most recently, newest first (at most MAX of them)",
            [](Context& c, Args a) { c.print_body(fields("new", a)); }, is_count},
    Command{"nop", 0, 0, "", "Do nothing (checks that the server answers)",
            [](Context& c, Args) { c.run({"nop"}); }},
    Command{"part", 3, 3, "TRACK CONTEXT PART",
            "Display a name part (artist, album, title) of TRACK for CONTEXT (sort or display)",
            [](Context& c, Args a) { c.print_value(fields("part", a)); }},
    Command{"pause", 0, 0, "", "Pause the current track",
            [](Context& c, Args) { c.run({"pause"}); }},
    Command{"play", 1, unlimited, "TRACK...",
            "Add the TRACKs to the queue, before the random picks",
            [](Context& c, Args a) {
              for (const auto& track : a)
                c.run({"play", track});
            }},
    Command{"playafter", 2, unlimited, "TARGET TRACK...",
            "Add the TRACKs, in order, just after the queued ID TARGET ('' for the head)",
            [](Context& c, Args a) { c.run(fields("playafter", a)); }},
    Command{"playing", 0, 1, "[--long]",
            "Display the playing track (or 'nothing'); --long: with its elapsed time and length",
            [](Context& c, Args a) { print_playing(c, !a.empty()); }, is_long_flag},
    Command{"playlist-del", 1, 1, "PLAYLIST", "Delete a playlist",
            [](Context& c, Args a) { c.run(fields("playlist-delete", a)); }},
    Command{"playlist-get", 1, 1, "PLAYLIST", "List the tracks of a playlist",
            [](Context& c, Args a) { c.print_body(fields("playlist-get", a)); }},
    Command{"playlist-set", 1, 2, "PLAYLIST [PATH]",
            "Set the tracks of a playlist from the file PATH (absolute) or standard input",
            playlist_set, is_absolute_path},
    Command{"playlists", 0, 0, "", "List the playlists",
            [](Context& c, Args) { c.print_body({"playlists"}); }},
    Command{"prefs", 1, 1, "TRACK", "Display every preference of TRACK, one 'NAME = VALUE' a line",
            print_prefs},
    Command{"queue", 0, 1, "[--long]", "List the queue, next to play first (--long: with lengths)",
            [](Context& c, Args a) { print_queue(c, "queue", !a.empty()); }, is_long_flag},
    Command{"random-disable", 0, 0, "", "Disable random play",
            [](Context& c, Args) { c.run({"random-disable"}); }},
    Command{"random-enable", 0, 0, "", "Enable random play",
            [](Context& c, Args) { c.run({"random-enable"}); }},
    Command{"random-enabled", 0, 0, "", "Report whether random play is enabled (yes or no)",
            [](Context& c, Args) { c.print_yes_no({"random-enabled"}); }},
    Command{"recent", 0, 1, "[--long]",
            "List the recently played tracks, oldest first, as queue does",
            [](Context& c, Args a) { print_queue(c, "recent", !a.empty()); }, is_long_flag},
    Command{"reconfigure", 0, 0, "", "Make the server re-read its configuration",
            [](Context& c, Args) { c.run({"reconfigure"}); }},
    Command{"reminder", 1, 1, "USERNAME",
            "Mail USERNAME a reminder of their password (if they have an email address)",
            [](Context& c, Args a) { c.run(fields("reminder", a)); }},
    Command{"remove", 1, 1, "TRACK", "Remove TRACK (an ID or a name) from the queue",
            [](Context& c, Args a) { c.run(fields("remove", a)); }},
    Command{"rescan", 0, 2, "[--wait] [--fresh]",
            "Rescan the collection for new and removed tracks (--wait: until it is done; "
            "--fresh: once more after a running one)",
            rescan, is_rescan_flag},
    Command{"resolve", 1, 1, "TRACK", "Display the real name of TRACK, which may be an alias",
            [](Context& c, Args a) { c.print_value(fields("resolve", a)); }},
    Command{"resume", 0, 0, "", "Resume the current track after a pause",
            [](Context& c, Args) { c.run({"resume"}); }},
    Command{"revoke", 0, 0, "", "Revoke the cookie of this login",
            [](Context& c, Args) { c.run({"revoke"}); }},
    Command{"rtp-address", 0, 0, "", "Display the RTP address and port of the server",
            [](Context& c, Args) { print_pair(c, {"rtp-address"}, "address", "port", true); }},
    Command{"rtp-listeners", 0, 0, "",
            "List the RTP listeners that report to the server, with their sync, loss and jitter",
            [](Context& c, Args) { print_rtp_listeners(c); }},
    Command{"rtp-sdp", 0, 0, "",
            "Print an SDP description of the RTP stream (for ffplay, VLC, GStreamer)",
            [](Context& c, Args) { c.print_body({"rtp-sdp"}); }},
    Command{"scratch", 0, 0, "", "Scratch the playing track",
            [](Context& c, Args) { c.run({"scratch"}); }},
    Command{"scratch-id", 1, 1, "ID", "Scratch the playing track if its ID is ID",
            [](Context& c, Args a) { c.run(fields("scratch", a)); }},
    Command{"search", 1, 1, "TERMS",
            "List the tracks matching all the TERMS (one argument; 'tag:TAG' matches a tag)",
            [](Context& c, Args a) { c.print_body(fields("search", a)); }},
    Command{"set", 3, 3, "TRACK KEY VALUE", "Set the preference KEY of TRACK to VALUE",
            [](Context& c, Args a) { c.run(fields("set", a)); }},
    Command{"set-global", 2, 2, "KEY VALUE", "Set a global preference",
            [](Context& c, Args a) { c.run(fields("set-global", a)); }},
    Command{"set-volume", 1, 2, "LEFT [RIGHT]",
            "Set the volume of each channel, 0 to 100 (one value sets both)",
            [](Context& c, Args a) { c.run(fields("volume", a)); }, is_count},
    Command{"setup-guest", 0, 1, "[--no-online-registration]",
            "Create the password-less user 'guest' for the web interface, with the rights "
            "read and (unless told not to) register",
            [](Context& c, Args a) {
              c.run({"adduser", "guest", "", a.empty() ? "read,register" : "read"});
            },
            is_no_registration_flag},
    Command{"shutdown", 0, 0, "", "Shut the server down",
            [](Context& c, Args) { c.client().shutdown(); }},
    Command{"stats", 0, 0, "", "Display server statistics",
            [](Context& c, Args) { c.print_body({"stats"}); }},
    Command{"tags", 0, 0, "", "List the known tags",
            [](Context& c, Args) { c.print_body({"tags"}); }},
    Command{"unset", 2, 2, "TRACK KEY", "Remove the preference KEY of TRACK",
            [](Context& c, Args a) { c.run(fields("unset", a)); }},
    Command{"unset-global", 1, 1, "KEY", "Remove a global preference",
            [](Context& c, Args a) { c.run(fields("unset-global", a)); }},
    Command{"userinfo", 2, 2, "USERNAME PROPERTY", "Display a property of a user",
            [](Context& c, Args a) { c.print_value(fields("userinfo", a)); }},
    Command{"users", 0, 0, "", "List the users", [](Context& c, Args) { c.print_body({"users"}); }},
    Command{"version", 0, 0, "", "Display the server's version",
            [](Context& c, Args) { c.print_value({"version"}); }},
};

} // namespace

std::span<const Command> commands() {
  // The table above and those of cli_schedule, cli_status, cli_watch and
  // cli_queue_ops, by name.
  static const std::vector<Command> all = [] {
    std::vector<Command> v(table.begin(), table.end());
    for (auto more :
         {schedule_commands(), status_commands(), watch_commands(), queue_ops_commands()})
      v.insert(v.end(), more.begin(), more.end());
    std::sort(v.begin(), v.end(),
              [](const Command& a, const Command& b) { return a.name < b.name; });
    return v;
  }();
  return all;
}

const Command* find_command(std::string_view name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

} // namespace disorder::cli
