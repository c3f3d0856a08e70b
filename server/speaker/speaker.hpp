// The speaker's loop thread: the control channel to disorderd
// (speaker_protocol.hpp), the tracks it prepares, and the reading of each
// track's decoder pipe into that track's buffer in the output format.
//
// A track is prepared (its pipe arrives), then played (appended to the play
// order and handed to the audio thread), then finished, failed or
// cancelled.  Every prepared track is read ahead until its buffer is full,
// so the next track is ready before the current one ends; a full buffer
// stops the reading and so blocks the decoder.
//
// Threads: everything here runs on the loop thread; the audio thread is
// reached only through AudioThread's interface.
#pragma once

#include "audio/backend.hpp"
#include "audio/converter.hpp"
#include "audio_thread.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "raw_stream.hpp"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

class Speaker {
public:
  struct Options {
    // Seconds of output each track buffers ahead (bounded by kMaxBufferBytes).
    double buffer_seconds = 4.0;
  };

  // control_fd: the speaker's end of the SOCK_SEQPACKET pair (kept open by
  // the caller for the Speaker's life).  backend and audio belong to the
  // caller and outlive the Speaker.
  Speaker(EventLoop& loop, int control_fd, Backend& backend, AudioThread& audio,
          const AudioFormat& format, Options options);
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;
  ~Speaker();

  // Exit status for main once the loop has stopped: 0 for quit or EOF on
  // the control channel, 1 for a refused hello.
  int exit_status() const { return exit_status_; }

private:
  struct Track;

  void on_control();
  void handle(std::vector<std::string>& fields, Fd fd);
  void send(const std::vector<std::string>& fields);
  void send_volume();

  void prepare(const std::string& id, Fd fd);
  void play(const std::string& id);
  void cancel(const std::string& id);
  void set_volume(int left, int right);

  void on_audio_events();
  // Listeners' reports from the backend: each goes to disorderd as a
  // `listener` message.
  void on_listener_reports();
  void hand_over();
  // Reads and converts t's stream until its buffer is full, its pipe is
  // empty or it ends.  pump() is read_track() with every error turned into
  // the track's failure.
  void pump(Track& t);
  void read_track(Track& t);
  void wait_for_space(Track& t);
  // No more input: close the pipe, record the failure (if this is one),
  // and drain the resampler into the buffer if keep_converted.
  void stop_input(Track& t, const std::string& failure, bool keep_converted);
  // Everything is in the buffer: tell the audio thread.
  void end_input(Track& t);
  void destroy(Track* t);
  Track* find(const std::string& id);

  EventLoop& loop_;
  int control_fd_;
  Backend& backend_;
  AudioThread& audio_;
  const AudioFormat format_;
  const std::size_t capacity_frames_;
  std::unique_ptr<Event> control_event_;
  std::unique_ptr<Event> audio_event_;
  std::unique_ptr<Event> listener_event_; // only for a backend with listeners
  std::vector<ListenerReport> listener_reports_;

  // Every live track by ID: prepared, in the play order, or playing.
  std::map<std::string, std::unique_ptr<Track>> tracks_;
  // Cancelled tracks the audio thread still holds a pointer to.
  std::vector<std::unique_ptr<Track>> cancelled_;
  // Played tracks waiting for room in the audio thread's queue.
  std::deque<Track*> waiting_;
  // Converter output before it goes into a track's buffer.
  std::vector<char> scratch_;

  int volume_left_ = 100, volume_right_ = 100; // software volume
  bool hello_ = false;
  int exit_status_ = 0;
};

} // namespace disorder
