// The scheduler of playing: keeps the queue padded with random picks,
// starts each track's player (a decoder whose raw stream goes to the
// speaker, or a player that plays by itself), hands the next track to the
// speaker before the current one ends so that they play gaplessly, and
// turns the speaker's reports into queue changes and events.
//
// Loop thread only.  Nothing here waits: decoders and the speaker are child
// processes watched through the event loop.
#pragma once

#include "queue/play_queue.hpp"
#include "queue/random_picker.hpp"
#include "speaker_link.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace disorder {

class Server;

class Playback : public SpeakerLink::Listener {
public:
  explicit Playback(Server& server);
  ~Playback() override;

  // Starts the speaker; called once the server is ready.
  void start();
  // The link to the speaker, null before start().
  SpeakerLink* speaker_link() { return speaker_.get(); }
  PlayQueue& queue() { return queue_; }

  // Re-examine what should play now (after any change to the queue, the
  // switches or the configuration).
  void tick();

  // Queue changes made by commands; each emits its events and ticks.  Those
  // that change the queue throw DatabaseError, having changed nothing, when
  // the change cannot be saved.
  // Inserts tracks, in order, before entries()[position]; all or none.
  // Returns their IDs.
  std::vector<std::string> add(std::size_t position, std::span<const std::string> tracks,
                               const std::string& user, Origin origin);
  std::string add(std::size_t position, const std::string& track, const std::string& user,
                  Origin origin) {
    return add(position, std::span(&track, 1), user, origin).front();
  }
  void removed(const QueueEntry& entry, const std::string& user);
  void moved(const std::string& user);
  // False if id is not queued.
  bool adopt(const std::string& id, const std::string& user);
  // Stops the playing track, recording who did it; a `scratch` sound from
  // the configuration follows unless with_sound is false.  When the end of
  // the track cannot be saved it throws and the track plays on.
  void scratch(const std::string& user, bool with_sound = true);
  // Neither needs the database (see PlayQueue::set_playing_state).
  bool pause();
  bool resume();
  bool paused() const { return paused_; }
  void set_volume(int left, int right);
  std::pair<int, int> volume() const { return volume_; }
  // `disable`: stop handing tracks to the speaker; `now` also stops the
  // playing track.
  void playing_disabled(bool now, const std::string& user);

  // SpeakerLink::Listener
  void speaker_message(const std::vector<std::string>& fields) override;
  void speaker_restarted() override;

private:
  // A track whose player is running: a decoder feeding the speaker, or a
  // player that plays by itself.
  struct Running {
    pid_t pid = -1;
    bool self_playing = false; // exec/shell module: no speaker involved
    bool announced = false;    // `play` sent to the speaker
    std::optional<int> wstatus;
    // The speaker has played all the decoder wrote, but the decoder's exit
    // status, which decides whether the track failed, is not known yet:
    // the track ends when it is, or after kExitGrace.
    std::optional<std::chrono::steady_clock::time_point> drained_at;
    // A decoder (not a self-playing player) not yet reaped: the status
    // that decides how its track ended is still to come.
    bool exit_pending() const { return !self_playing && pid > 0 && !wstatus; }
  };

  bool ensure_running(const QueueEntry& entry);
  // Its player is an exec or shell one, which plays to the sound itself.
  bool plays_by_itself(const std::string& track) const;
  // Stops what runs for an entry that is neither playing nor the head (the
  // queue changed under it), before anything is handed to the speaker
  // after it: the speaker plays in the order it is told.
  void stop_stale();
  // One step of tick(): the head of the queue made ready, handed to the
  // speaker, and started when nothing plays.  True when it started a track.
  bool advance();
  void stop_player(const std::string& id);
  // Signals a player's process group and reaps it, unreported.
  void abandon(pid_t pid, int sig);
  void track_started(const std::string& id);
  // The speaker played the last of what the decoder wrote: the track ends
  // once the decoder's exit status says how (track_ended).
  void track_drained(const std::string& id);
  // Whether id plays, has drained, and its decoder's exit is awaited.
  bool awaiting_exit(const std::string& id) const;
  // A track the speaker finished while the one before it awaited its
  // decoder's exit, before it counted as started.
  std::string drained_early_;
  void track_ended(const std::string& id, bool ok, const std::string& reason);
  void unplayable_head(const std::string& reason);
  void fill_random();
  void record_play(const QueueEntry& entry, EntryState state);
  // The playing entry leaves for the recent list (the play is recorded);
  // announce() then emits recent_added and, if the list overflowed,
  // recent_removed for the entry that fell off.
  struct Retired {
    QueueEntry entry;
    std::string dropped;
  };
  Retired retire(EntryState state, std::optional<int> wstat, const std::string& scratched,
                 PlayQueue::OnFailure on_failure);
  void announce(const Retired& r);
  std::string file_for(const std::string& track);

  Server& server_;
  PlayQueue queue_;
  RandomPicker picker_;
  std::unique_ptr<SpeakerLink> speaker_;
  std::map<std::string, Running> running_;
  bool paused_ = false;
  std::pair<int, int> volume_{100, 100};
  bool in_tick_ = false;
  // The speaker has said that its output failed and has played nothing
  // since: a track handed to it does not start (advance()).
  bool output_failing_ = false;
  // Random picks could not be saved: said once in the log, not at every
  // tick, until they can again.
  bool random_failing_ = false;
  // A player that stops producing audio (a hung decoder) would hold the
  // queue for ever: the watchdog fails a track that has not started, or not
  // advanced, for kStallTimeout while it should be playing.
  void watchdog();
  std::unique_ptr<Event> watchdog_;
  // Saving what the queue could not save when it happened.
  void retry_save();
  std::chrono::steady_clock::duration save_delay_ = std::chrono::seconds(1);
  std::chrono::steady_clock::time_point next_save_;
  std::string watched_id_;
  std::int64_t watched_sofar_ = -1;
  std::chrono::steady_clock::time_point watched_since_;
};

} // namespace disorder
