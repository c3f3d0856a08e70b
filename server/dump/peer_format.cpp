// Reading DisOrder 5.2's dump format (peer_format.hpp).
#include "dump/peer_format.hpp"

#include "dump/dump_format.hpp"
#include "unicode.hpp"

#include <charconv>
#include <map>
#include <set>

namespace disorder {

namespace {

// The newest (and only) version DisOrder 5.2 writes.
constexpr int kPeerVersion = 0;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Name/value pairs in the order the file gives them.
using Pairs = std::vector<std::pair<std::string, std::string>>;

class PeerParser {
public:
  PeerParser(std::string_view text, std::vector<std::string>& notes) : text_(text), notes_(notes) {}

  DumpData parse() {
    read_version();
    while (true) {
      if (pos_ >= text_.size()) truncated();
      const char type = text_[pos_++];
      if (type == 'E') {
        // The end: a line feed, then nothing.
        if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        if (pos_ != text_.size()) fail("data after the end marker");
        return std::move(data_);
      }
      ++record_;
      const std::string key = decode(line(), "key");
      const std::string value = decode(line(), "value");
      switch (type) {
      case 'P':
        prefs(key, value);
        break;
      case 'G':
        global(key, value);
        break;
      case 'U':
        user(key, value);
        break;
      case 'L':
        playlist(key, value);
        break;
      case 'W':
        event(key, value);
        break;
      default:
        fail("unknown record type '" + printable(std::string_view(&type, 1)) + "'");
      }
    }
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DumpFormatError("DisOrder dump, record " + std::to_string(record_) + ": " + what);
  }

  [[noreturn]] void truncated() const {
    throw DumpFormatError("the DisOrder dump is truncated: it ends after record " +
                          std::to_string(record_) + " without the end marker");
  }

  void read_version() {
    if (text_.empty() || text_[0] != 'V') throw DumpFormatError("not a DisOrder dump");
    pos_ = 1;
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
      ++pos_;
    int version = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, version);
    if (ec != std::errc() || start == pos_) throw DumpFormatError("not a DisOrder dump");
    if (version != kPeerVersion)
      throw DumpFormatError(
          "the DisOrder dump has format version " + std::string(text_.substr(start, pos_ - start)) +
          "; this program reads version " + std::to_string(kPeerVersion) + " (DisOrder 5.2)");
  }

  // The rest of the current line; a line without its line feed is a file
  // cut short.
  std::string_view line() {
    auto nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) truncated();
    std::string_view l = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return l;
  }

  std::string decode(std::string_view s, const char* what) const {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '%') {
        out += s[i];
        continue;
      }
      const bool whole = i + 2 < s.size();
      const int hi = whole ? hex_digit(s[i + 1]) : -1;
      const int lo = whole ? hex_digit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail(std::string("bad percent escape in a ") + what);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    return out;
  }

  Pairs pairs(const std::string& value) const {
    Pairs out;
    if (value.empty()) return out;
    size_t at = 0;
    while (true) {
      size_t amp = value.find('&', at);
      std::string_view item = std::string_view(value).substr(
          at, amp == std::string::npos ? std::string::npos : amp - at);
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) fail("a NAME=VALUE list item without '='");
      out.emplace_back(decode(item.substr(0, eq), "name"), decode(item.substr(eq + 1), "value"));
      if (amp == std::string::npos) break;
      at = amp + 1;
    }
    return out;
  }

  void prefs(const std::string& track, const std::string& value) {
    if (!pref_tracks_.insert(track).second)
      fail("the preferences of '" + printable(track, 256) + "' appear twice");
    std::set<std::string> names;
    for (auto& [name, v] : pairs(value)) {
      if (!names.insert(name).second)
        fail("preference '" + printable(name, 64) + "' of '" + printable(track, 256) +
             "' appears twice");
      data_.prefs.push_back({track, std::move(name), std::move(v)});
    }
  }

  void global(const std::string& name, const std::string& value) {
    if (!globals_.insert(name).second)
      fail("global preference '" + printable(name, 64) + "' appears twice");
    if (name.starts_with("_")) {
      notes_.push_back("global preference '" + printable(name, 64) +
                       "' left out: it is DisOrder's own bookkeeping");
      return;
    }
    data_.globals.push_back({name, value});
  }

  void user(const std::string& name, const std::string& value) {
    if (!users_.insert(name).second) fail("user '" + printable(name, 64) + "' appears twice");
    DumpUser u;
    u.name = name;
    bool has_password = false;
    for (auto& [key, v] : pairs(value)) {
      if (key == "password") {
        u.password = v;
        has_password = true;
      } else if (key == "rights") {
        try {
          u.rights = parse_rights(v);
        } catch (const SyntaxError& e) {
          fail("user '" + printable(name, 64) + "': " + e.what());
        }
      } else if (key == "created") {
        std::int64_t t = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
        if (ec != std::errc() || end != v.data() + v.size())
          fail("user '" + printable(name, 64) + "': bad creation time '" + printable(v, 64) + "'");
        u.created = t;
      } else if (key == "email") {
        u.email = v;
      } else if (key == "confirmation") {
        u.confirmation = v;
      } else {
        notes_.push_back("user '" + printable(name, 64) + "': property '" + printable(key, 64) +
                         "' left out: it has no meaning here");
      }
    }
    if (!has_password) fail("user '" + printable(name, 64) + "' has no password");
    data_.users.push_back(std::move(u));
  }

  void playlist(const std::string& name, const std::string& value) {
    if (!playlists_.insert(name).second)
      fail("playlist '" + printable(name, 256) + "' appears twice");
    std::map<std::string, std::string> fields;
    for (auto& [key, v] : pairs(value))
      if (!fields.emplace(key, v).second)
        fail("playlist '" + printable(name, 256) + "': '" + printable(key, 64) + "' appears twice");
    const auto damaged = [&](const std::string& why) {
      fail("playlist '" + printable(name, 256) + "' is damaged: " + why);
    };
    DumpPlaylist p;
    p.name = name;
    auto share = fields.find("sharing");
    if (share == fields.end()) damaged("it has no sharing status");
    p.share = share->second;
    auto count_field = fields.find("count");
    if (count_field == fields.end()) damaged("it has no count");
    size_t count = 0;
    const std::string& c = count_field->second;
    auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), count);
    if (ec != std::errc() || end != c.data() + c.size()) damaged("bad count");
    if (fields.size() != count + 2) damaged("it does not hold count tracks");
    for (size_t i = 0; i < count; ++i) {
      auto t = fields.find(std::to_string(i));
      if (t == fields.end()) damaged("track " + std::to_string(i) + " is missing");
      p.tracks.push_back(t->second);
    }
    data_.playlists.push_back(std::move(p));
  }

  void event(const std::string& id, const std::string& value) {
    if (!events_.insert(id).second)
      fail("scheduled event '" + printable(id, 64) + "' appears twice");
    std::map<std::string, std::string> fields;
    for (auto& [key, v] : pairs(value))
      if (!fields.emplace(key, v).second)
        fail("scheduled event '" + printable(id, 64) + "': '" + printable(key, 64) +
             "' appears twice");
    const auto field = [&](const char* name) -> const std::string& {
      auto it = fields.find(name);
      if (it == fields.end()) fail("scheduled event '" + printable(id, 64) + "' has no " + name);
      return it->second;
    };
    DumpEvent e;
    e.id = id;
    e.who = field("who");
    const std::string& when = field("when");
    auto [end, ec] = std::from_chars(when.data(), when.data() + when.size(), e.when);
    if (ec != std::errc() || end != when.data() + when.size())
      fail("scheduled event '" + printable(id, 64) + "': bad time '" + printable(when, 64) + "'");
    e.priority = field("priority");
    e.action = field("action");
    if (e.action == "play") {
      e.track = field("track");
    } else if (e.action == "set-global") {
      e.key = field("key");
      if (auto v = fields.find("value"); v != fields.end()) e.value = v->second;
    } else {
      fail("scheduled event '" + printable(id, 64) + "': unknown action '" +
           printable(e.action, 64) + "'");
    }
    data_.schedule.push_back(std::move(e));
  }

  std::string_view text_;
  std::vector<std::string>& notes_;
  size_t pos_ = 0;
  int record_ = 0;
  DumpData data_;
  std::set<std::string> pref_tracks_, globals_, users_, playlists_, events_;
};

} // namespace

bool is_peer_dump(std::string_view text) {
  return text.size() >= 2 && text[0] == 'V' && text[1] >= '0' && text[1] <= '9';
}

DumpData parse_peer_dump(std::string_view text, std::vector<std::string>& notes) {
  return PeerParser(text, notes).parse();
}

} // namespace disorder
