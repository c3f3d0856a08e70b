// disorderd's side of the speaker: starts disorder-speaker with one end of a
// control socket pair, restarts it if it dies, sends it commands and hands
// its reports to a listener.  Runs on the loop thread; never blocks: the
// control socket is non-blocking, and messages it cannot take at once (a
// speaker busy or held up while commands pour in) wait in a bounded queue,
// in order, until it can.
#pragma once

#include "event_loop.hpp"
#include "fd.hpp"
#include "subprocess.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace disorder {

class SpeakerLink {
public:
  // Reports from the speaker (fields of one message) and its restarts.
  struct Listener {
    virtual ~Listener() = default;
    virtual void speaker_message(const std::vector<std::string>& fields) = 0;
    // The speaker (re)started: everything it had is gone.
    virtual void speaker_restarted() = 0;
  };

  SpeakerLink(EventLoop& loop, ChildReaper& reaper, std::string config_path, int nice,
              Listener& listener);
  ~SpeakerLink();

  void start();
  // Stops the speaker and starts a new one at once, which reads the
  // configuration afresh (its settings changed).
  void restart();
  // False if the speaker is not running (the caller retries after
  // speaker_restarted()) or the message could not be sent or queued.  A
  // queued message carries a duplicate of fd.  A volume queued behind
  // another queued volume replaces it: only the latest matters.
  bool send(const std::vector<std::string>& fields, int fd = -1);
  bool running() const { return pid_ > 0; }

  // Standing state the speaker must always have (an RTP listener): the
  // message is sent now if the speaker runs, and again to every new
  // speaker right after its hello, until it is withdrawn.  Setting a key
  // again replaces its message.
  void set_standing(const std::string& key, std::vector<std::string> fields);
  // Forgets key's standing message and sends `undo` (if the speaker runs).
  void withdraw_standing(const std::string& key, const std::vector<std::string>& undo);

private:
  struct Pending {
    std::vector<std::string> fields;
    Fd fd;
  };
  // Messages a full channel did not take; more than this is a speaker that
  // has stopped reading, and further messages are refused.
  static constexpr std::size_t kMaxPending = 4096;

  bool queue(const std::vector<std::string>& fields, int fd);
  void on_writable();
  void on_readable();
  void on_exit(int wstatus);

  EventLoop& loop_;
  ChildReaper& reaper_;
  std::string config_path_;
  int nice_;
  Listener& listener_;
  pid_t pid_ = -1;
  Fd control_;
  std::unique_ptr<Event> readable_;
  std::unique_ptr<Event> writable_; // added while pending_ is not empty
  std::deque<Pending> pending_;
  std::unique_ptr<Event> restart_timer_;
  int quick_deaths_ = 0;
  std::chrono::steady_clock::time_point started_;
  bool stopping_ = false;
  bool restarting_ = false;
  std::map<std::string, std::vector<std::string>> standing_;
};

} // namespace disorder
