// Runs disorder-rescan as a child process on behalf of the server: on first
// start, every 24 hours, and on request.  Requests made while a rescan runs
// are merged into it (or, with `fresh`, into one more rescan after it).
// Progress comes from the child's stdout and is published to admins as
// `rescan_progress N` events; completion as the `rescanned` event.
#pragma once

#include "event_loop.hpp"
#include "fd.hpp"

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace disorder {

class Server;
class Connection;

class Rescanner {
public:
  explicit Rescanner(Server& server);
  ~Rescanner();

  // Starts a rescan unless one is running; `again` asks for one more after
  // the running one.
  void request(bool again);
  // conn gets its (deferred) reply when the current or next rescan ends.
  void add_waiter(Connection* conn);
  void connection_gone(Connection* conn);
  bool running() const { return pid_ > 0; }
  long progress() const { return progress_; }
  // Runs a rescan now if the collection has never been scanned.
  void start_if_never_scanned();

private:
  void start();
  void on_output();
  void on_exit(int wstatus);
  void schedule_daily();

  Server& server_;
  pid_t pid_ = -1;
  Fd output_;
  std::unique_ptr<Event> output_event_;
  std::unique_ptr<Event> daily_;
  std::string partial_;
  long progress_ = 0;
  long published_ = -1;
  bool again_ = false;
  std::vector<Connection*> waiters_;      // answered when the running scan ends
  std::vector<Connection*> next_waiters_; // answered when the next one ends
};

} // namespace disorder
