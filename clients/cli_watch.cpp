// disorder watch: the event log as people read it, one line per event
// ("12:03:01 playing Artist – Title (alice)"), or one JSON object per
// event, until interrupted.  `log` stays the raw form DisOrder prints.
#include "cli.hpp"
#include "cli_display.hpp"

#include "split.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

namespace disorder::cli {

namespace {

// One event as watch reports it: the text line (after the time) and, for
// an event about a track, the track.  An empty text: not reported.
struct Report {
  std::string text;
  std::string track;
};

class Watcher {
public:
  explicit Watcher(Context& c) : c_(c), info_(c.client()) {}

  // Handles one line of the log; false once standard output has gone.
  bool on_line(std::string_view line) {
    std::vector<std::string> f;
    try {
      f = split_fields(line);
    } catch (const SyntaxError&) {
      throw ProtocolError("malformed event from server: " + std::string(line));
    }
    if (f.size() < 2) throw ProtocolError("malformed event from server: " + std::string(line));
    std::int64_t when = event_time(f[0]);
    std::string keyword = f[1];
    std::vector<std::string> args(f.begin() + 2, f.end());
    if (initial_) {
      // The server starts the log with the current state: state lines and
      // then the volume.  They are summed up in one line, so that what
      // follows reads as what happened.
      if (keyword == "state" && !args.empty()) {
        start_state_.push_back(args[0]);
        return true;
      }
      initial_ = false;
      if (keyword == "volume" && args.size() == 2)
        return emit(when, "now", args, {now_text(args), ""});
    }
    return emit(when, keyword, args, describe(keyword, args));
  }

  // Remembers the tracks of the entries queued now, so that their removal
  // or adoption can name them.  A user who may not list the queue just
  // sees IDs.
  void learn_queue() {
    try {
      for (const auto& e : parse_entries(c_.run({"queue"}).body))
        tracks_[e.get("id")] = e.get("track");
    } catch (const CommandError&) {
    }
  }

private:
  static std::int64_t event_time(const std::string& hex) {
    try {
      std::size_t used = 0;
      long long t = std::stoll(hex, &used, 16);
      if (used == hex.size()) return t;
    } catch (const std::exception&) {
    }
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::string now_text(const std::vector<std::string>& volume) {
    auto has = [this](std::string_view s) {
      return std::find(start_state_.begin(), start_state_.end(), s) != start_state_.end();
    };
    std::string text = has("enable_play") ? "playing enabled" : "playing disabled";
    text += has("enable_random") ? ", random play enabled" : ", random play disabled";
    if (has("pause")) text += ", paused";
    return text + ", volume " + volume[0] + " " + volume[1];
  }

  Report track_event(const std::string& verb, const std::string& track,
                     const std::string& tail = "") {
    return {verb + " " + info_.name(track) + tail, track};
  }

  // The line for an event, or an empty text for events that repeat
  // another (the state lines that accompany playing, completed...) or
  // that only other programs care about (the recent list).
  Report describe(const std::string& k, const std::vector<std::string>& a) {
    const std::size_t n = a.size();
    if (k == "playing" && n >= 1)
      return track_event("playing", a[0], n >= 2 && !a[1].empty() ? " (" + a[1] + ")" : "");
    if (k == "queue" && n >= 1) {
      Entry e;
      try {
        e = parse_entry(quote_fields(a));
      } catch (const ProtocolError&) {
        return {k + " " + join(a), ""};
      }
      tracks_[e.get("id")] = e.get("track");
      const std::string& submitter = e.get("submitter");
      return track_event("queued", e.get("track"),
                         submitter.empty() ? " (random)" : " by " + submitter);
    }
    if (k == "removed" && n == 1) return {}; // the head of the queue, now playing
    if (k == "removed" && n >= 2) {
      auto it = tracks_.find(a[0]);
      if (it == tracks_.end()) return {"removed " + a[0] + " by " + a[1], ""};
      return track_event("removed", it->second, " by " + a[1]);
    }
    if (k == "adopted" && n >= 2) {
      auto it = tracks_.find(a[0]);
      if (it == tracks_.end()) return {"adopted " + a[0] + " by " + a[1], ""};
      return track_event("adopted", it->second, " by " + a[1]);
    }
    if (k == "scratched" && n >= 2) return track_event("scratched", a[0], " by " + a[1]);
    if (k == "completed" && n >= 1) return track_event("finished", a[0]);
    if (k == "failed" && n >= 1) return track_event("failed", a[0], n >= 2 ? ": " + a[1] : "");
    if (k == "state" && n >= 1) {
      static const std::map<std::string, std::string> kStates{
          {"pause", "paused"},
          {"resume", "resumed"},
          {"enable_play", "playing enabled"},
          {"disable_play", "playing disabled"},
          {"enable_random", "random play enabled"},
          {"disable_random", "random play disabled"},
      };
      auto it = kStates.find(a[0]);
      if (it != kStates.end()) return {it->second, ""};
      if (a[0] == "rights_changed" && n >= 2) return {"rights changed to " + a[1], ""};
      return {}; // playing, completed, scratched, failed: reported on their own
    }
    if (k == "rights_changed" && n >= 1) return {"rights changed to " + a[0], ""};
    if (k == "volume" && n == 2) return {"volume " + a[0] + " " + a[1], ""};
    if (k == "moved" && n >= 1) return {"queue reordered by " + a[0], ""};
    // The play and random play switches are global preferences too; their
    // state events say it better.
    if (k == "global_pref" && n >= 1 && (a[0] == "playing" || a[0] == "random-play")) return {};
    if (k == "global_pref" && n == 1) return {"global preference " + a[0] + " unset", ""};
    if (k == "global_pref" && n >= 2) return {"global preference " + a[0] + " set to " + a[1], ""};
    if (k == "playlist_created" && n >= 1)
      return {"playlist " + a[0] + " created" + (n >= 2 ? " (" + a[1] + ")" : ""), ""};
    if (k == "playlist_modified" && n >= 1) return {"playlist " + a[0] + " modified", ""};
    if (k == "playlist_deleted" && n >= 1) return {"playlist " + a[0] + " deleted", ""};
    if (k == "rescanned") return {"rescan completed", ""};
    if (k == "user_add" && n >= 1) return {"user " + a[0] + " created", ""};
    if (k == "user_delete" && n >= 1) return {"user " + a[0] + " deleted", ""};
    if (k == "user_edit" && n >= 2) return {"user " + a[0] + ": " + a[1] + " changed", ""};
    if (k == "user_confirm" && n >= 1) return {"user " + a[0] + " confirmed", ""};
    if (k == "recent_added" || k == "recent_removed" || k == "rescan_progress") return {};
    // Anything newer than this client: as it came.
    return {n ? k + " " + join(a) : k, ""};
  }

  static std::string join(const std::vector<std::string>& a) {
    std::string out;
    for (const auto& s : a)
      out += (out.empty() ? "" : " ") + s;
    return out;
  }

  bool emit(std::int64_t when, const std::string& keyword, const std::vector<std::string>& args,
            const Report& r) {
    if (r.text.empty()) return true;
    if (c_.json()) {
      std::string out = "{\"time\": " + std::to_string(when) +
                        ", \"event\": " + json_string(keyword) + ", \"args\": [";
      for (std::size_t i = 0; i < args.size(); ++i)
        out += (i ? ", " : "") + json_string(args[i]);
      out += "]";
      if (!r.track.empty())
        out += ", \"track\": " + json_string(r.track) +
               ", \"name\": " + json_string(info_.name(r.track));
      c_.out() << out << ", \"text\": " << json_string(r.text) << "}\n";
    } else {
      c_.out() << clock_time(when) << ' ' << r.text << '\n';
    }
    c_.out().flush();
    return static_cast<bool>(c_.out());
  }

  Context& c_;
  TrackInfo info_;                            // on the command connection
  std::map<std::string, std::string> tracks_; // queue IDs seen, and their tracks
  bool initial_ = true;
  std::vector<std::string> start_state_;
};

void watch(Context& c, Args) {
  Watcher watcher(c);
  // The log holds its connection: names and lengths are asked for on the
  // command connection, the log followed on a second one.
  Client log = Client::connect(c.config());
  watcher.learn_queue();
  log.follow_log([&watcher](std::string_view line) { return watcher.on_line(line); });
}

const std::array table{
    Command{"watch", 0, 0, "",
            "Print what happens (tracks played and queued, pauses, volume...) as it happens, "
            "one line each, until interrupted",
            watch},
};

} // namespace

std::span<const Command> watch_commands() {
  return table;
}

} // namespace disorder::cli
