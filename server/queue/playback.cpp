// Scheduling of tracks: players, the speaker, and the events they cause.
#include "queue/playback.hpp"

#include "log.hpp"
#include "rescan/track_filter.hpp"
#include "server.hpp"
#include "split.hpp"
#include "subprocess.hpp"
#include "wall_clock.hpp"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <sys/wait.h>

namespace disorder {

Playback::Playback(Server& server) : server_(server), queue_(server.db()), picker_(server.db()) {}

Playback::~Playback() {
  queue_.sync(); // a last try, so that a restart does not play again what has played
  for (auto& [id, r] : running_)
    if (r.pid > 0) {
      server_.reaper().forget(r.pid);
      ::kill(-r.pid, SIGKILL);
    }
}

namespace {
constexpr auto kStallTimeout = std::chrono::seconds(15);
// How long a decoder may outlive the end of its output before the track is
// recorded as played without its exit status (and the decoder killed).
constexpr auto kExitGrace = std::chrono::seconds(2);
} // namespace

void Playback::watchdog() {
  watchdog_->add(std::chrono::seconds(1));
  retry_save();
  // What should be advancing: the playing track, or else the head of the
  // queue once it has been handed to the speaker.
  if (queue_.playing()) {
    auto it = running_.find(queue_.playing()->id);
    if (it != running_.end() && it->second.drained_at &&
        std::chrono::steady_clock::now() - *it->second.drained_at >= kExitGrace) {
      log_warning("player for " + it->first + " still running " +
                  std::to_string(kExitGrace.count()) + " s after its output ended; stopped");
      track_ended(it->first, true, "");
    }
  }
  std::string id;
  std::int64_t sofar = 0;
  if (queue_.playing()) {
    id = queue_.playing()->id;
    sofar = queue_.playing()->sofar;
    auto it = running_.find(id);
    if (it != running_.end() && it->second.self_playing) id.clear(); // it paces itself
  } else if (!queue_.entries().empty()) {
    auto it = running_.find(queue_.entries().front().id);
    if (it != running_.end() && it->second.announced) id = it->first;
  }
  auto now = std::chrono::steady_clock::now();
  // While the output is unavailable nothing plays, and that is not the
  // track's fault: the clock starts again when the output works.
  if (id.empty() || paused_ || output_failing_ || id != watched_id_ || sofar != watched_sofar_) {
    watched_id_ = id;
    watched_sofar_ = sofar;
    watched_since_ = now;
    return;
  }
  if (now - watched_since_ < kStallTimeout) return;
  std::string reason =
      "player produced no audio for " + std::to_string(kStallTimeout.count()) + " s";
  log_error(id + ": " + reason);
  watched_id_.clear();
  if (queue_.playing() && queue_.playing()->id == id) {
    track_ended(id, false, reason);
  } else {
    stop_player(id);
    unplayable_head(reason);
  }
}

void Playback::retry_save() {
  // A track that started or ended while the database could not be written
  // is saved once it can be (space freed, say), without a restart.  Tries
  // come further apart while they fail: a write may wait for a lock (up to
  // the busy timeout), and every wait holds up the whole server.
  if (queue_.saved()) {
    save_delay_ = std::chrono::seconds(1);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_save_) return;
  if (!queue_.sync()) {
    next_save_ = now + save_delay_;
    save_delay_ =
        std::min<std::chrono::steady_clock::duration>(save_delay_ * 2, std::chrono::seconds(16));
  }
}

void Playback::start() {
  watchdog_ = Event::timer(server_.loop(), [this](short) { watchdog(); });
  watchdog_->add(std::chrono::seconds(1));
  speaker_ =
      std::make_unique<SpeakerLink>(server_.loop(), server_.reaper(), server_.config_paths().system,
                                    server_.config().nice_speaker, *this);
  speaker_->start();
}

std::string Playback::file_for(const std::string& track) {
  auto& st = server_.db().cached("SELECT COALESCE(path, name) FROM tracks WHERE name = ?");
  st.bind(1, track);
  std::string path = st.step() ? st.column_text(0) : track;
  st.reset();
  return path;
}

bool Playback::plays_by_itself(const std::string& track) const {
  const disorder::Player* chosen = player_for(server_.config().player, track);
  return chosen && chosen->module != "execraw";
}

bool Playback::ensure_running(const QueueEntry& entry) {
  if (running_.count(entry.id)) return true;
  const Config& config = server_.config();
  const disorder::Player* chosen = player_for(config.player, entry.track);
  SpawnOptions opts;
  opts.new_process_group = true;
  std::string module = "execraw";
  std::string path = file_for(entry.track);
  if (chosen) {
    module = chosen->module;
    if (module == "shell") {
      std::string shell = chosen->args.size() > 1 ? chosen->args[0] : "sh";
      opts.argv = {shell, "-c", chosen->args.back()};
      opts.env.emplace_back("TRACK", path);
    } else {
      opts.argv = chosen->args;
      opts.argv.push_back(path);
    }
  } else if (config.player.empty() && has_built_in_extension(entry.track)) {
    opts.argv = {companion_program("disorder-decode", SBINDIR), path};
  } else {
    unplayable_head("no player for " + entry.track);
    return false;
  }
  Running r;
  r.self_playing = module != "execraw";
  opts.pipe_stdout = !r.self_playing;
  Spawned child;
  try {
    child = spawn(opts);
  } catch (const std::exception& e) {
    unplayable_head(std::string("cannot start player: ") + e.what());
    return false;
  }
  r.pid = child.pid;
  std::string id = entry.id;
  server_.reaper().watch(r.pid, [this, id](int wstatus) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    it->second.pid = -1;
    it->second.wstatus = wstatus;
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (!ok) log_error("player for " + id + " " + describe_wait_status(wstatus));
    // A self-playing player's exit is the end of its track; so is a
    // decoder's, once the speaker has played what it wrote.
    if (it->second.self_playing || it->second.drained_at)
      track_ended(id, ok, describe_wait_status(wstatus));
  });
  if (!r.self_playing) {
    speaker_->send({"prepare", entry.id}, child.stdout_read.get());
    // child.stdout_read closes here: the speaker holds its own copy.
  }
  running_[entry.id] = r;
  return true;
}

void Playback::stop_player(const std::string& id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  if (!it->second.self_playing && speaker_) speaker_->send({"cancel", id});
  if (it->second.pid > 0) {
    abandon(it->second.pid, server_.config().signal);
    ::kill(-it->second.pid, SIGCONT); // a paused self-playing player must see it
  }
  running_.erase(it);
}

void Playback::abandon(pid_t pid, int sig) {
  ::kill(-pid, sig);
  // Reaped in the background, with nothing to report (watch() replaces
  // whatever was watching it), so that it does not linger as a zombie.
  server_.reaper().watch(pid, [](int) {});
}

void Playback::unplayable_head(const std::string& reason) {
  log_error(reason);
  if (queue_.entries().empty()) return;
  // Record it as failed without playing it, so the queue moves on.
  const std::string id = queue_.start_head(wall_seconds()).id;
  server_.events().emit("removed", {id});
  track_ended(id, false, reason);
}

void Playback::fill_random() {
  const Config& config = server_.config();
  if (!server_.globals().flag("random-play")) return;
  std::set<std::string> exclude;
  if (queue_.playing()) exclude.insert(queue_.playing()->track);
  for (const auto& e : queue_.entries())
    exclude.insert(e.track);
  size_t have = queue_.entries().size(), want = static_cast<size_t>(std::max(config.queue_pad, 0));
  if (have >= want) return;
  TagFilter tags{server_.globals().tag_keys("required-tags"),
                 server_.globals().tag_keys("prohibited-tags")};
  auto picks = picker_.pick(config, exclude, want - have, tags);
  try {
    add(queue_.entries().size(), picks, "", Origin::random);
    random_failing_ = false;
  } catch (const DatabaseError& e) {
    if (!random_failing_) log_error(std::string("adding random picks: ") + e.what());
    random_failing_ = true;
  }
}

void Playback::stop_stale() {
  for (auto it = running_.begin(); it != running_.end();) {
    const std::string id = it->first;
    ++it;
    bool current = queue_.playing() && queue_.playing()->id == id;
    bool head = !queue_.entries().empty() && queue_.entries().front().id == id;
    if (!current && !head) stop_player(id);
  }
}

bool Playback::advance() {
  bool enabled = server_.globals().flag("playing");
  if (!enabled || paused_ || queue_.entries().empty() || !speaker_ || !speaker_->running())
    return false;
  // Keep the next track running and announced, so that it follows the
  // current one without a gap (or starts now if nothing plays).
  const QueueEntry& head = queue_.entries().front();
  const std::string id = head.id;
  // A player that plays by itself starts to play as it starts: not before
  // its turn.
  if (queue_.playing() && !running_.count(id) && plays_by_itself(head.track)) return false;
  if (!ensure_running(head)) return false;
  if (queue_.entries().empty() || queue_.entries().front().id != id) return false;
  auto& r = running_[id];
  if (!r.self_playing && !r.announced) {
    if (queue_.playing() && running_.count(queue_.playing()->id) &&
        running_[queue_.playing()->id].self_playing)
      return false; // it plays by itself: the speaker learns of the next one when it ends
    speaker_->send({"play", id});
    r.announced = true;
  }
  if (queue_.playing()) return false; // the speaker says when it moves on
  // While the speaker cannot write to its output it plays nothing: the
  // track starts when it says so, not before.
  if (!r.self_playing && output_failing_) return false;
  // Nothing plays, so the speaker (or the player) starts this one now.  It
  // is the playing track from this moment, as clients see it: a `playing`
  // right after `enable` or `scratch` shows it, as on DisOrder.  Should it
  // then fail to play, the speaker says so and it ends as failed.
  track_started(id);
  return true;
}

void Playback::tick() {
  if (in_tick_) return;
  in_tick_ = true;
  try {
    // A second pass when the first started a track: the queue is padded
    // again and the track after it is made ready (gapless).  Never more:
    // a tick must end even when every track fails at once.
    for (int pass = 0; pass < 2; ++pass) {
      fill_random();
      stop_stale();
      if (!advance()) break;
    }
    stop_stale();
  } catch (const std::exception& e) {
    log_error(std::string("scheduling: ") + e.what());
  }
  in_tick_ = false;
}

std::vector<std::string> Playback::add(std::size_t position, std::span<const std::string> tracks,
                                       const std::string& user, Origin origin) {
  if (tracks.empty()) return {};
  std::vector<std::string> ids = queue_.insert(position, tracks, user, origin);
  for (const auto& id : ids)
    server_.events().emit_formatted("queue", queue_.find(id)->format());
  tick();
  return ids;
}

void Playback::removed(const QueueEntry& entry, const std::string& user) {
  server_.events().emit("removed", {entry.id, user});
  tick();
}

void Playback::moved(const std::string& user) {
  server_.events().emit("moved", {user});
  tick();
}

bool Playback::adopt(const std::string& id, const std::string& user) {
  if (!queue_.adopt(id, user)) return false;
  server_.events().emit("adopted", {id, user});
  return true;
}

void Playback::track_started(const std::string& id) {
  if (queue_.entries().empty() || queue_.entries().front().id != id) return;
  if (queue_.playing()) {
    // The speaker moved on, so it has played all of the last one (whether
    // or not it said so yet).  The last one's outcome waits for its
    // decoder's exit status: this one starts when that is known
    // (track_ended, through advance()).
    const std::string last = queue_.playing()->id;
    server_.reaper().poll();
    auto it = running_.find(last);
    if (it != running_.end() && it->second.exit_pending()) {
      if (!it->second.drained_at) it->second.drained_at = std::chrono::steady_clock::now();
      return;
    }
    track_ended(last, true, "");
    // Its end has started this one already (tick), or made it stale.
    if (queue_.entries().empty() || queue_.entries().front().id != id) return;
  }
  const QueueEntry& e = queue_.start_head(wall_seconds());
  server_.events().emit("removed", {e.id});
  // disorder_protocol(5): the user is left out for random picks.
  if (e.submitter.empty())
    server_.events().emit("playing", {e.track});
  else
    server_.events().emit("playing", {e.track, e.submitter});
  server_.events().emit("state", {"playing"});
  tick();
  if (drained_early_ == id) {
    drained_early_.clear();
    track_drained(id);
  }
}

void Playback::record_play(const QueueEntry& entry, EntryState state) {
  // disorder_preferences(5): the server keeps these up to date, all of
  // them or (when the database cannot be written) none.
  auto& db = server_.db();
  auto bump = [&](const char* pref) {
    db.cached("INSERT INTO prefs (track, name, value) VALUES (?, ?, '1') "
              "ON CONFLICT(track, name) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        .bind_all(entry.track, pref)
        .run();
  };
  db.transaction([&] {
    db.cached("INSERT INTO prefs (track, name, value) VALUES (?, 'played_time', ?) "
              "ON CONFLICT(track, name) DO UPDATE SET value = excluded.value")
        .bind_all(entry.track, std::to_string(wall_seconds()))
        .run();
    bump("played");
    if (state == EntryState::scratched)
      bump("scratched");
    else if (state == EntryState::ok)
      bump("unscratched");
    if (entry.origin == Origin::picked) bump("requested");
  });
}

bool Playback::awaiting_exit(const std::string& id) const {
  if (!queue_.playing() || queue_.playing()->id != id) return false;
  auto it = running_.find(id);
  return it != running_.end() && it->second.drained_at && it->second.exit_pending();
}

void Playback::track_drained(const std::string& id) {
  // The decoder's end of the pipe closed as it exited, but its exit status
  // may not have been collected yet: a decoder that failed (a corrupt
  // file) must not be recorded as played.  Usually it is there already.
  server_.reaper().poll();
  if (queue_.playing() && queue_.playing()->id != id && awaiting_exit(queue_.playing()->id)) {
    // A track shorter than the wait for the last one's exit: it ends once
    // it has started (track_started).
    drained_early_ = id;
    return;
  }
  auto it = running_.find(id);
  if (queue_.playing() && queue_.playing()->id == id && it != running_.end() &&
      it->second.exit_pending()) {
    it->second.drained_at = std::chrono::steady_clock::now();
    return;
  }
  track_ended(id, true, "");
}

void Playback::track_ended(const std::string& id, bool ok, const std::string& reason) {
  if (!queue_.playing() || queue_.playing()->id != id) return;
  std::optional<int> wstat;
  auto it = running_.find(id);
  if (it != running_.end()) {
    wstat = it->second.wstatus;
    // A decoder that failed makes the track failed even if what it wrote
    // played to the end.
    if (wstat && !(WIFEXITED(*wstat) && WEXITSTATUS(*wstat) == 0)) ok = false;
    stop_player(id);
  }
  EntryState state = ok ? EntryState::ok : EntryState::failed;
  // It has ended, saved or not.
  Retired r = retire(state, wstat, "", PlayQueue::OnFailure::defer);
  if (ok) {
    server_.events().emit("completed", {r.entry.track});
    server_.events().emit("state", {"completed"});
  } else {
    server_.events().emit("failed", {r.entry.track, reason.empty() ? "failed" : reason});
    server_.events().emit("state", {"failed"});
  }
  announce(r);
  tick();
}

Playback::Retired Playback::retire(EntryState state, std::optional<int> wstat,
                                   const std::string& scratched, PlayQueue::OnFailure on_failure) {
  Retired r;
  std::string oldest = queue_.recent().empty() ? "" : queue_.recent().front().id;
  r.entry = queue_.finish_playing(state, wstat, scratched, server_.config().history, on_failure);
  if (!oldest.empty() && (queue_.recent().empty() || queue_.recent().front().id != oldest))
    r.dropped = oldest;
  try {
    record_play(r.entry, state);
  } catch (const std::exception& ex) {
    log_error(std::string("recording play: ") + ex.what());
  }
  return r;
}

void Playback::announce(const Retired& r) {
  server_.events().emit_formatted("recent_added", r.entry.format());
  if (!r.dropped.empty()) server_.events().emit("recent_removed", {r.dropped});
}

void Playback::scratch(const std::string& user, bool with_sound) {
  if (!queue_.playing()) return;
  const std::string id = queue_.playing()->id;
  // Saved first: if it cannot be, the track plays on and the scratch is
  // refused.  (Once retired, the player's exit is no longer its end.)
  Retired r = retire(EntryState::scratched, std::nullopt, user, PlayQueue::OnFailure::refuse);
  stop_player(id);
  server_.events().emit("scratched", {r.entry.track, user});
  server_.events().emit("state", {"scratched"});
  announce(r);
  if (paused_) {
    paused_ = false;
    if (speaker_) speaker_->send({"resume"});
  }
  const auto& scratches = server_.config().scratch;
  if (with_sound && !scratches.empty()) {
    const std::string& sound = scratches[static_cast<size_t>(std::rand()) % scratches.size()];
    try {
      add(0, sound, "", Origin::scratch);
    } catch (const DatabaseError& e) {
      // The scratch itself is done; only its sound is lost.
      log_error(std::string("queueing the scratch sound: ") + e.what());
    }
  }
  tick();
}

bool Playback::pause() {
  if (!queue_.playing() || paused_) return false;
  paused_ = true;
  auto it = running_.find(queue_.playing()->id);
  if (it != running_.end() && it->second.self_playing) {
    if (it->second.pid > 0) ::kill(-it->second.pid, SIGSTOP);
  } else if (speaker_) {
    speaker_->send({"pause"});
  }
  queue_.set_playing_state(EntryState::paused);
  server_.events().emit("state", {"pause"});
  return true;
}

bool Playback::resume() {
  if (!paused_) return false;
  paused_ = false;
  if (queue_.playing()) {
    auto it = running_.find(queue_.playing()->id);
    if (it != running_.end() && it->second.self_playing) {
      if (it->second.pid > 0) ::kill(-it->second.pid, SIGCONT);
    } else if (speaker_) {
      speaker_->send({"resume"});
    }
    queue_.set_playing_state(EntryState::started);
  }
  server_.events().emit("state", {"resume"});
  tick();
  return true;
}

void Playback::set_volume(int left, int right) {
  if (speaker_) speaker_->send({"volume", std::to_string(left), std::to_string(right)});
  if (volume_ != std::pair{left, right}) {
    volume_ = {left, right};
    server_.events().emit("volume", {std::to_string(left), std::to_string(right)});
  }
}

void Playback::playing_disabled(bool now_too, const std::string& user) {
  // Take back the announced next track so the speaker does not go on.
  if (!queue_.entries().empty()) stop_player(queue_.entries().front().id);
  if (now_too && queue_.playing()) scratch(user, false);
}

void Playback::speaker_message(const std::vector<std::string>& f) {
  const std::string& what = f[0];
  auto arg = [&f](size_t i) -> std::string { return i < f.size() ? f[i] : std::string(); };
  if (what == "started" || what == "progress") output_failing_ = false; // it plays again
  if (what == "started") {
    track_started(arg(1));
  } else if (what == "progress") {
    if (queue_.playing() && queue_.playing()->id == arg(1)) {
      try {
        queue_.set_sofar(std::stoll(arg(2)));
      } catch (const std::exception&) {
      }
    }
  } else if (what == "finished") {
    track_drained(arg(1));
  } else if (what == "failed") {
    if (queue_.playing() && queue_.playing()->id == arg(1)) {
      track_ended(arg(1), false, arg(2));
    } else if (!queue_.entries().empty() && queue_.entries().front().id == arg(1)) {
      stop_player(arg(1));
      unplayable_head(arg(2).empty() ? "unplayable" : arg(2));
    }
  } else if (what == "volume") {
    try {
      std::pair<int, int> v{std::stoi(arg(1)), std::stoi(arg(2))};
      if (v != volume_) {
        volume_ = v;
        server_.events().emit("volume", {arg(1), arg(2)});
      }
    } catch (const std::exception&) {
    }
  } else if (what == "error") {
    // Its output failed or cannot be opened; it says so once (again if the
    // reason changes), and plays again when it can.  Meanwhile the queue
    // waits: no track is started, and none is failed for the silence.
    output_failing_ = true;
    log_error("audio output unavailable: " + arg(1));
  } else if (what == "recovered") {
    // (After the started or progress report of what it played.)
    log_info("audio output working again");
    output_failing_ = false;
  } else if (what == "listener") {
    // An RTP listener's latest report, for rtp-listeners.
    if (!server_.rtp_listener_reports().update(std::span<const std::string>(f).subspan(1),
                                               std::chrono::steady_clock::now()))
      log_debug("speaker sent a malformed listener report: " + quote_fields(f));
  } else if (what == "hello" || what == "paused" || what == "resumed") {
    // Nothing to do: pause state is ours.
  } else {
    log_debug("speaker said: " + quote_fields(f));
  }
}

void Playback::speaker_restarted() {
  // Whatever the old speaker had is gone.  The interrupted track plays
  // again from its start; players feeding the old speaker are stopped.
  // The new one says if its output fails too.
  output_failing_ = false;
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.self_playing) {
      ++it;
      continue;
    }
    if (it->second.pid > 0) abandon(it->second.pid, SIGKILL);
    it = running_.erase(it);
  }
  if (queue_.playing() && !running_.count(queue_.playing()->id)) {
    std::string id = queue_.playing()->id;
    queue_.requeue_playing();
    server_.events().emit_formatted("queue", queue_.entries().front().format());
    log_info("replaying " + id + " from its start after the speaker restarted");
  }
  if (paused_) {
    paused_ = false;
    server_.events().emit("state", {"resume"});
  }
  speaker_->send({"volume", std::to_string(volume_.first), std::to_string(volume_.second)});
  // Let the new speaker say hello before giving it work.
  server_.loop().defer([this] { tick(); });
}

} // namespace disorder
