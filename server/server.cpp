// The control plane's composition, sockets, signals and reconfiguration.
#include "server.hpp"

#include "commands/command_table.hpp"
#include "connection.hpp"
#include "crypto.hpp"
#include "db/schema.hpp"
#include "log.hpp"
#include "socket_address.hpp"
#include "users/key_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace disorder {

namespace {

constexpr int kLocal = static_cast<int>(Transport::local);
constexpr int kPrivileged = static_cast<int>(Transport::privileged);
constexpr int kTcp = static_cast<int>(Transport::tcp);

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

// disorderd(8) FILES: every local user may reach the public socket in home,
// so home lets them through (0711) but not list or read it; everything else
// the server keeps is for its own account only.
constexpr mode_t kHomeMode = 0711, kPrivateDirMode = 0700;

void make_dir(const std::string& path, mode_t mode) {
  bool created = ::mkdir(path.c_str(), mode) == 0;
  if (!created && errno != EEXIST) throw_errno("creating " + path);
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) throw_errno(path);
  if (!S_ISDIR(st.st_mode)) throw Error(path + " is not a directory");
  if ((st.st_mode & 07777) != mode) {
    if (::chmod(path.c_str(), mode) < 0) throw_errno("chmod " + path);
    // The umask narrows a new directory; an existing one with another mode
    // was left so by an older version or by hand.
    if (!created)
      log_info(path + ": mode changed to " + octal_mode(mode) + " (was " +
               octal_mode(st.st_mode & 07777) + ")");
  }
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// Takes group and other access away from every regular file in dir.  Older
// versions left the database, its -wal and -shm files and the lock files
// readable by everyone (and the database held the cookie keys): an existing
// home is fixed here, before the database is opened.  A file that cannot be
// changed (not the server's) is reported and left alone.
void make_files_private(const std::string& dir) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) throw_errno("opening " + dir);
  int dfd = ::dirfd(d.get());
  while (dirent* e = ::readdir(d.get())) {
    struct stat st;
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & 077) == 0) continue;
    std::string path = dir + "/" + e->d_name;
    mode_t mode = st.st_mode & 07700;
    if (::fchmodat(dfd, e->d_name, mode, 0) < 0) {
      log_error("cannot make " + path + " private: " + std::strerror(errno));
      continue;
    }
    log_info(path + ": mode changed to " + octal_mode(mode) + " (was " +
             octal_mode(st.st_mode & 07777) + ")");
  }
}

// Creates home and home/private, and takes the lock that keeps a second
// server off the same home; then makes sure that nothing in them is open
// to other users.  Returns the held lock.
Fd prepare_home(const Config& config) {
  make_dir(config.home, kHomeMode);
  make_dir(config.home + "/private", kPrivateDirMode);
  std::string lock_path = config.home + "/lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) throw_errno("opening " + lock_path);
  // A server that has just stopped may leave a child for a moment between
  // fork and exec, still holding its copy of the lock: allow it a few
  // seconds before deciding that another server is running.
  for (int attempt = 0; ::flock(lock.get(), LOCK_EX | LOCK_NB) < 0; ++attempt) {
    if (errno != EWOULDBLOCK) throw_errno("locking " + lock_path);
    if (attempt == 30) throw Error("another disorderd is already running on " + config.home);
    ::usleep(100000);
  }
  make_files_private(config.home);
  make_files_private(config.home + "/private");
  // SQLite would create the database 0644 less the umask, and gives its
  // -wal and -shm files the database's mode: create it private whatever the
  // umask (an empty file is an empty database).  One that exists is left
  // to SQLite, which opens a read-only one read-only.
  std::string db_path = config.home + "/disorder.db";
  if (!Fd(::open(db_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) &&
      errno != EEXIST)
    throw_errno("creating " + db_path);
  return lock;
}

// Descriptors kept free for the server's own use beyond client
// connections: the database, the speaker and its decoders' pipes, the
// rescanner, listening sockets.
constexpr rlim_t kReservedDescriptors = 64;

// What a client turned away hears (disorder_protocol(5): a refusal instead
// of the greeting).
constexpr char kTooMany[] = "550 too many connections, try again later\n";

bool peer_is_trusted(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return false;
  return cred.uid == 0 || cred.uid == ::getuid();
}

} // namespace

Server::Server(ConfigPaths paths, std::unique_ptr<Config> config)
    : paths_(std::move(paths)), config_(std::move(config)), lock_(prepare_home(*config_)),
      db_(config_->home + "/disorder.db"), schema_ready_((migrate_schema(db_), true)),
      vault_(config_->home + "/private/password-key"), users_(db_, vault_),
      cookies_(db_,
               load_or_create_key(config_->home + "/private/cookie-key", CookieJar::kMasterBytes)),
      globals_(db_), tracks_(db_, *config_), track_prefs_(db_, tracks_) {
  ensure_root_user();
  set_connection_limit();
  open_listeners();
  sighup_ = Event::signal(loop_, SIGHUP, [this](short) {
    std::string why = reconfigure();
    if (why.empty())
      log_info("reloaded configuration");
    else
      log_error("kept the old configuration: " + why);
  });
  auto stop = [this](short) {
    log_info("terminating on signal");
    request_shutdown();
  };
  sigterm_ = Event::signal(loop_, SIGTERM, stop);
  sigint_ = Event::signal(loop_, SIGINT, stop);
  housekeeping_ = Event::timer(loop_, [this](short) {
    try {
      cookies_.expire(config_->cookie_login_lifetime, config_->cookie_key_lifetime);
    } catch (const std::exception& e) {
      log_error(std::string("housekeeping: ") + e.what());
    }
    housekeeping_->add(std::chrono::hours(1));
  });
  housekeeping_->add(std::chrono::seconds(1));
}

Server::~Server() {
  connections_.clear();
  listeners_.clear();
  ::unlink(config_->socket_path().c_str());
  ::unlink(config_->private_socket_path().c_str());
}

void Server::ensure_root_user() {
  if (users_.find("root")) return;
  // disorderd(8): a root login is created on first start; local root gets
  // at its password through the privileged socket.
  users_.add("root", to_hex(random_bytes(16)), right::all);
  log_info("created user 'root' with a random password");
}

void Server::set_connection_limit() {
  rlimit lim{};
  const auto wanted = static_cast<std::size_t>(config_->max_connections);
  connection_limit_ = wanted;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    const rlim_t usable = lim.rlim_cur > 2 * kReservedDescriptors
                              ? lim.rlim_cur - kReservedDescriptors
                              : lim.rlim_cur / 2;
    if (usable < wanted) {
      connection_limit_ = usable;
      log_warning("max_connections is " + std::to_string(wanted) + " but the descriptor limit (" +
                  std::to_string(lim.rlim_cur) + ") allows only " + std::to_string(usable) +
                  " connections");
    }
  }
}

void Server::open_listeners() {
  auto add = [this](Fd fd, int transport) {
    listeners_.push_back(std::make_unique<Listener>(
        loop_, std::move(fd), [this, transport](Fd c) { accept(std::move(c), transport); },
        [this](int error) {
          accept_failures_.warning(std::string("cannot accept connections: ") +
                                   std::strerror(error) + " (turning clients away)");
        },
        kTooMany));
  };
  // Any local user may connect to the public socket (they still have to log
  // in); the private one sits in a 0700 directory and checks credentials.
  add(listen_unix(config_->socket_path(), 0666), kLocal);
  add(listen_unix(config_->private_socket_path(), 0600), kPrivileged);
  if (config_->listen) {
    for (auto& fd : listen_tcp(*config_->listen))
      add(std::move(fd), kTcp);
  }
}

void Server::accept(Fd fd, int transport) {
  if (shutting_down_) return;
  std::string peer = "local";
  if (transport == kPrivileged && !peer_is_trusted(fd.get())) {
    log_warning("refused a connection to the privileged socket from an untrusted user");
    return;
  }
  // The privileged socket is exempt: local administration must work even
  // when the public ones are full.
  if (transport != kPrivileged && connections_.size() >= connection_limit_) {
    (void)::send(fd.get(), kTooMany, sizeof kTooMany - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    refusals_.warning("turned a client away: " + std::to_string(connections_.size()) +
                      " connections already (max_connections)");
    return;
  }
  if (transport == kTcp) {
    int one = 1;
    // Replies are written whole; don't let Nagle hold the tail of one back
    // waiting for the peer's delayed ACK.
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    peer = peer_name(fd.get());
  }
  try {
    connections_.push_back(std::make_unique<Connection>(*this, std::move(fd),
                                                        static_cast<Transport>(transport), peer));
  } catch (const std::exception& e) {
    log_error(std::string("accepting connection: ") + e.what());
  }
}

void Server::connection_closed(Connection* conn) {
  rescanner_.connection_gone(conn);
  rtp_requests_.connection_gone(conn); // its RTP stream stops
  playlists_.unlock(conn);
  // Destroy later: we are inside one of conn's own callbacks.
  loop_.defer([this, conn] {
    const bool big = conn->peak_input() > (1 << 20);
    connections_.remove_if([conn](const auto& c) { return c.get() == conn; });
    // A connection that held megabytes leaves the heap with free space
    // that the allocator would otherwise keep: give it back to the system.
    if (big) ::malloc_trim(0);
    if (shutting_down_ && connections_.empty()) loop_.stop();
  });
}

void Server::run() {
  log_info("listening on " + config_->socket_path());
  rescanner_.start_if_never_scanned();
  playback_.start();
  // After playback: an event due while the server was down may queue a
  // track.
  schedule_.start([this](const ScheduledEvent& e) { commands::run_scheduled_event(*this, e); });
  loop_.run();
}

void Server::request_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  listeners_.clear();
  for (auto& c : connections_)
    c->close_after_reply();
  // Don't wait for ever on a client that will not read its last reply.
  auto timer = Event::timer(loop_, [this](short) { loop_.stop(); });
  timer->add(std::chrono::seconds(2));
  housekeeping_ = std::move(timer);
  if (connections_.empty()) loop_.stop();
}

std::string Server::reconfigure() {
  std::unique_ptr<Config> fresh;
  try {
    fresh = std::make_unique<Config>(load_server_config(paths_));
  } catch (const std::exception& e) {
    return e.what();
  }
  std::string why = unchangeable_difference(*config_, *fresh);
  if (!why.empty()) return why;
  const std::string speaker_item = speaker_difference(*config_, *fresh);
  for (const std::string& note : ignored_item_notes(*fresh))
    log_info(note);
  config_ = std::move(fresh);
  set_connection_limit();
  if (!speaker_item.empty() && playback_.speaker_link()) {
    // The speaker reads its settings when it starts.  What was playing
    // plays again from its start.
    log_info(speaker_item + " changed: restarting the speaker");
    playback_.speaker_link()->restart();
  }
  playback_.tick(); // queue_pad may have grown
  return "";
}

void Server::user_changed(const std::string& name) {
  auto u = users_.find(name);
  Rights rights = u ? u->rights : right::none;
  for (auto& c : connections_) {
    if (c->closed() || !c->authenticated() || c->user() != name) continue;
    c->set_rights(rights);
    if (c->is_logging())
      // An event of its own, as DisOrder's server sends it (its page lists
      // it under "state", but its clients expect it on its own).
      c->deliver(EventLog::format("rights_changed", {format_rights(rights)}));
  }
}

void Server::end_cookie_logins(const std::string& name) {
  for (auto& c : connections_)
    if (!c->closed() && c->authenticated() && c->user() == name && c->cookie)
      c->close_after_reply();
}

std::vector<std::string> Server::state_lines() {
  std::vector<std::string> lines{
      EventLog::format("state", {globals_.flag("playing") ? "enable_play" : "disable_play"}),
      EventLog::format("state",
                       {globals_.flag("random-play") ? "enable_random" : "disable_random"}),
  };
  if (playback_.queue().playing())
    lines.push_back(EventLog::format("state", {playback_.paused() ? "pause" : "playing"}));
  auto [left, right] = playback_.volume();
  lines.push_back(EventLog::format("volume", {std::to_string(left), std::to_string(right)}));
  return lines;
}

void Server::set_flag(std::string_view pref, bool on) {
  globals_.set(pref, on ? "yes" : "no");
  events_.emit("global_pref", {pref, on ? "yes" : "no"});
  const char* state = pref == "playing" ? (on ? "enable_play" : "disable_play")
                                        : (on ? "enable_random" : "disable_random");
  events_.emit("state", {state});
  playback_.tick();
}

} // namespace disorder
