// Writing and parsing disorder-dump's own file format (dump_format.hpp).
#include "dump/dump_format.hpp"

#include "split.hpp"

#include <charconv>
#include <set>
#include <tuple>

namespace disorder {

namespace {

constexpr std::string_view kMagic = "disorder-dump";

std::string line_of(const std::vector<std::string>& fields) {
  return quote_fields(fields) + "\n";
}

// A whole-number field; nullopt when it is not one.
std::optional<std::int64_t> to_integer(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  DumpData parse() {
    if (text_.empty()) throw DumpFormatError("the file is empty");
    read_header();
    while (true) {
      auto fields = next_record();
      if (!fields) fail_truncated();
      const std::string& kind = (*fields)[0];
      if (kind == "end") {
        end_record(*fields);
        break;
      }
      ++records_;
      if (kind == "user")
        user_record(*fields);
      else if (kind == "global")
        global_record(*fields);
      else if (kind == "pref")
        pref_record(*fields);
      else if (kind == "playlist")
        playlist_record(*fields);
      else if (kind == "schedule")
        schedule_record(*fields);
      else
        fail("unknown record '" + kind + "'");
    }
    if (pos_ != text_.size()) {
      ++line_;
      fail("data after the end line");
    }
    return std::move(data_);
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DumpFormatError("line " + std::to_string(line_) + ": " + what);
  }

  [[noreturn]] void fail_truncated() const {
    throw DumpFormatError("the file is truncated: it ends at line " + std::to_string(line_) +
                          " without the end line");
  }

  // The next line's fields; nullopt at the end of the text.  A last line
  // without its line feed is a file cut short.
  std::optional<std::vector<std::string>> next_fields() {
    if (pos_ >= text_.size()) return std::nullopt;
    ++line_;
    auto nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) fail_truncated();
    std::string_view line = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    try {
      auto fields = split_fields(line, SplitMode::protocol);
      if (fields.empty()) fail("empty line");
      return fields;
    } catch (const SyntaxError& e) {
      fail(e.what());
    }
  }

  std::optional<std::vector<std::string>> next_record() { return next_fields(); }

  void read_header() {
    auto fields = next_fields();
    if (!fields || (*fields)[0] != kMagic)
      fail("not a disorder-dump file (it does not start with '" + std::string(kMagic) + "')");
    if (fields->size() != 2) fail("malformed header");
    auto version = to_integer((*fields)[1]);
    if (!version || *version < 1)
      fail("malformed header: bad format version '" + (*fields)[1] + "'");
    if (*version > kDumpFormatVersion)
      fail("the file was written by a newer version of disorder-dump (format " + (*fields)[1] +
           "; this version reads format " + std::to_string(kDumpFormatVersion) + " and older)");
  }

  void end_record(const std::vector<std::string>& f) {
    if (f.size() != 2) fail("malformed end line");
    auto count = to_integer(f[1]);
    if (!count) fail("malformed end line");
    if (*count != records_)
      fail("the end line counts " + f[1] + " records but the file holds " +
           std::to_string(records_) + ": lines are missing");
  }

  void user_record(const std::vector<std::string>& f) {
    if (f.size() < 2 || f.size() % 2 != 0)
      fail("a user record is: user NAME followed by KEY VALUE pairs");
    DumpUser u;
    u.name = f[1];
    if (!users_.insert(u.name).second) fail("user '" + u.name + "' appears twice");
    std::set<std::string> seen;
    for (size_t i = 2; i < f.size(); i += 2) {
      const std::string& key = f[i];
      const std::string& value = f[i + 1];
      if (!seen.insert(key).second) fail("user '" + u.name + "': '" + key + "' appears twice");
      if (key == "password") {
        u.password = value;
      } else if (key == "rights") {
        try {
          u.rights = parse_rights(value);
        } catch (const SyntaxError& e) {
          fail("user '" + u.name + "': " + e.what());
        }
      } else if (key == "created") {
        auto t = to_integer(value);
        if (!t) fail("user '" + u.name + "': bad creation time '" + value + "'");
        u.created = *t;
      } else if (key == "email") {
        u.email = value;
      } else if (key == "confirmation") {
        u.confirmation = value;
      } else {
        fail("user '" + u.name + "': unknown property '" + key + "'");
      }
    }
    for (const char* required : {"password", "rights", "created"})
      if (!seen.count(required)) fail("user '" + u.name + "' has no " + required);
    data_.users.push_back(std::move(u));
  }

  void global_record(const std::vector<std::string>& f) {
    if (f.size() != 3) fail("a global record is: global NAME VALUE");
    if (!globals_.insert(f[1]).second) fail("global preference '" + f[1] + "' appears twice");
    data_.globals.push_back({f[1], f[2]});
  }

  void pref_record(const std::vector<std::string>& f) {
    if (f.size() != 4) fail("a pref record is: pref TRACK NAME VALUE");
    if (!prefs_.insert({f[1], f[2]}).second)
      fail("preference '" + f[2] + "' of '" + f[1] + "' appears twice");
    data_.prefs.push_back({f[1], f[2], f[3]});
  }

  void playlist_record(const std::vector<std::string>& f) {
    if (f.size() < 3) fail("a playlist record is: playlist NAME SHARE TRACK...");
    if (!playlists_.insert(f[1]).second) fail("playlist '" + f[1] + "' appears twice");
    data_.playlists.push_back({f[1], f[2], std::vector<std::string>(f.begin() + 3, f.end())});
  }

  void schedule_record(const std::vector<std::string>& f) {
    const auto usage = [this] {
      fail("a schedule record is: schedule ID WHEN WHO PRIORITY play TRACK, or "
           "schedule ID WHEN WHO PRIORITY set-global KEY [VALUE]");
    };
    if (f.size() < 7) usage();
    DumpEvent e;
    e.id = f[1];
    if (!events_.insert(e.id).second) fail("scheduled event '" + e.id + "' appears twice");
    auto when = to_integer(f[2]);
    if (!when) fail("scheduled event '" + e.id + "': bad time '" + f[2] + "'");
    e.when = *when;
    e.who = f[3];
    e.priority = f[4];
    e.action = f[5];
    if (e.action == "play") {
      if (f.size() != 7) usage();
      e.track = f[6];
    } else if (e.action == "set-global") {
      if (f.size() > 8) usage();
      e.key = f[6];
      if (f.size() == 8) e.value = f[7];
    } else {
      fail("scheduled event '" + e.id + "': unknown action '" + e.action + "'");
    }
    data_.schedule.push_back(std::move(e));
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 0;
  std::int64_t records_ = 0;
  DumpData data_;
  std::set<std::string> users_, globals_, playlists_, events_;
  std::set<std::pair<std::string, std::string>> prefs_;
};

} // namespace

std::string format_dump(const DumpData& data) {
  std::string out = line_of({std::string(kMagic), std::to_string(kDumpFormatVersion)});
  std::int64_t records = 0;
  for (const auto& u : data.users) {
    std::vector<std::string> f{"user",     u.name,
                               "password", u.password,
                               "rights",   format_rights(u.rights),
                               "created",  std::to_string(u.created)};
    if (!u.email.empty()) f.insert(f.end(), {"email", u.email});
    if (u.confirmation) f.insert(f.end(), {"confirmation", *u.confirmation});
    out += line_of(f);
    ++records;
  }
  for (const auto& g : data.globals) {
    out += line_of({"global", g.name, g.value});
    ++records;
  }
  for (const auto& p : data.prefs) {
    out += line_of({"pref", p.track, p.name, p.value});
    ++records;
  }
  for (const auto& p : data.playlists) {
    std::vector<std::string> f{"playlist", p.name, p.share};
    f.insert(f.end(), p.tracks.begin(), p.tracks.end());
    out += line_of(f);
    ++records;
  }
  for (const auto& e : data.schedule) {
    std::vector<std::string> f{"schedule", e.id,       std::to_string(e.when),
                               e.who,      e.priority, e.action};
    if (e.action == "play") {
      f.push_back(e.track);
    } else {
      f.push_back(e.key);
      if (e.value) f.push_back(*e.value);
    }
    out += line_of(f);
    ++records;
  }
  out += line_of({"end", std::to_string(records)});
  return out;
}

bool is_own_dump(std::string_view text) {
  return text.starts_with(kMagic) && (text.size() == kMagic.size() || text[kMagic.size()] == ' ' ||
                                      text[kMagic.size()] == '\n');
}

DumpData parse_dump(std::string_view text) {
  return Parser(text).parse();
}

} // namespace disorder
