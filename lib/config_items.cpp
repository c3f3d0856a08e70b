// The one table of configuration items (disorder_config(5)): for each item
// its name, its documented default, the value type that parses and validates
// a line's arguments into its Config member, and how the member is written
// back as lines.  Value types are small structs with parse() and format();
// the row builders at the bottom bind a type to a member.
#include "config.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "rights.hpp"
#include "utf8.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <iconv.h>
#include <utility>

namespace disorder {

namespace {

using Args = std::vector<std::string>;
using Lines = std::vector<Args>;

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

const std::string& only_argument(const Args& args) {
  if (args.empty()) throw SyntaxError("missing argument");
  if (args.size() > 1) throw SyntaxError("too many arguments");
  return args[0];
}

// ------------------------------------------------------------------ numbers

long long parse_integer(const std::string& text, long long min, long long max) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end)
    throw SyntaxError(quoted(text) + " is not an integer");
  const bool negative = text[0] == '-';
  if ((ec == std::errc::result_out_of_range && negative) || value < min)
    throw SyntaxError(quoted(text) + " is too small (the minimum is " + std::to_string(min) + ")");
  if (ec == std::errc::result_out_of_range || value > max)
    throw SyntaxError(quoted(text) + " is too large (the maximum is " + std::to_string(max) + ")");
  return value;
}

template <long long Min, long long Max = INT_MAX> struct Int {
  static int parse(const Args& args) {
    return static_cast<int>(parse_integer(only_argument(args), Min, Max));
  }
  static Args format(int value) { return {std::to_string(value)}; }
};

// Durations are whole numbers of seconds (days for noticed_history).  The
// ceiling keeps "now + duration" far from overflow for whoever adds them.
template <typename Duration, long long Min, long long Max = INT_MAX> struct WholeUnits {
  static Duration parse(const Args& args) {
    return Duration(parse_integer(only_argument(args), Min, Max));
  }
  static Args format(Duration value) { return {std::to_string(value.count())}; }
};
template <long long Min> using Seconds = WholeUnits<std::chrono::seconds, Min>;
template <long long Min> using Days = WholeUnits<std::chrono::days, Min>;
template <long long Min, long long Max>
using Milliseconds = WholeUnits<std::chrono::milliseconds, Min, Max>;

struct YesNo {
  static bool parse(const Args& args) {
    const auto& v = only_argument(args);
    if (v == "yes") return true;
    if (v == "no") return false;
    throw SyntaxError(quoted(v) + " is not yes or no");
  }
  static Args format(bool value) { return {value ? "yes" : "no"}; }
};

// ------------------------------------------------------------------ strings

struct AnyString {
  static std::string parse(const Args& args) { return only_argument(args); }
  static Args format(const std::string& value) { return {value}; }
};

struct AbsolutePath {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    if (v.empty() || v[0] != '/') throw SyntaxError(quoted(v) + " is not an absolute path");
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

struct NonEmpty {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    if (v.empty()) throw SyntaxError("empty value");
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

// alias: literal text with {name} and {/name} substitutions.
struct AliasPattern {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != '{') continue;
      size_t close = v.find('}', i);
      if (close == std::string::npos)
        throw SyntaxError("'{' without a matching '}' in " + quoted(v));
      std::string_view name(v.data() + i + 1, close - i - 1);
      if (!name.empty() && name[0] == '/') name.remove_prefix(1);
      if (name.empty()) throw SyntaxError("empty name part in " + quoted(v));
      if (name.find('{') != std::string_view::npos)
        throw SyntaxError("'{' inside a name part in " + quoted(v));
      i = close;
    }
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

// url: the web interface's own address, so it must be absolute.
struct Url {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    auto colon = v.find("://");
    if (colon == std::string::npos || colon == 0 || colon + 3 == v.size())
      throw SyntaxError(quoted(v) + " is not a full URL (such as http://host/path)");
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

struct Algorithm {
  static std::string parse(const Args& args) {
    std::string v = only_argument(args);
    if (!is_auth_algorithm(v))
      throw SyntaxError(quoted(v) + " is not one of sha1, sha256, sha384, sha512");
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

// DisOrder spells rights with spaces ("move any"): a list written without
// quotes arrives as several arguments, which are words of one list.
struct RightsList {
  static Rights parse(const Args& args) {
    if (args.empty()) throw SyntaxError("missing argument");
    std::string text;
    for (const auto& a : args)
      text += (text.empty() ? "" : " ") + a;
    return parse_rights(text);
  }
  static Args format(Rights value) { return {format_rights(value)}; }
};

// api / speaker_backend.  "ao" is ours (libao); coreaudio and oss are
// accepted for compatibility and refused by the speaker where not built.
struct Api {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    if (v == "network") return "rtp";
    for (std::string_view known : {"alsa", "ao", "command", "coreaudio", "oss", "rtp"})
      if (v == known) return v;
    throw SyntaxError(quoted(v) + " is not one of alsa, ao, command, coreaudio, oss, rtp, network");
  }
  static Args format(const std::string& value) { return {value}; }
};

// ----------------------------------------------------------------- keywords

template <typename E> using KeywordTable = std::span<const std::pair<std::string_view, E>>;

constexpr std::pair<std::string_view, RtpMode> kRtpModes[] = {
    {"auto", RtpMode::automatic},      {"unicast", RtpMode::unicast},
    {"broadcast", RtpMode::broadcast}, {"multicast", RtpMode::multicast},
    {"request", RtpMode::request},
};
constexpr std::pair<std::string_view, PauseMode> kPauseModes[] = {
    {"silence", PauseMode::silence},
    {"suspend", PauseMode::suspend},
};
constexpr std::pair<std::string_view, MtuDiscovery> kMtuDiscovery[] = {
    {"default", MtuDiscovery::system_default},
    {"yes", MtuDiscovery::yes},
    {"no", MtuDiscovery::no},
};
constexpr std::pair<std::string_view, RtpTimestamps> kRtpTimestamps[] = {
    {"frames", RtpTimestamps::frames},
    {"samples", RtpTimestamps::samples},
};

constexpr std::pair<std::string_view, RtpEncoding> kRtpEncodings[] = {
    {"l16", RtpEncoding::l16},
    {"opus", RtpEncoding::opus},
};

template <typename E> std::string_view keyword_name(KeywordTable<E> table, E value) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "?";
}

template <typename E, const auto& Table> struct Keyword {
  static E parse(const Args& args) {
    const auto& v = only_argument(args);
    std::string names;
    for (const auto& [name, value] : Table) {
      if (v == name) return value;
      names += names.empty() ? "" : ", ";
      names += name;
    }
    throw SyntaxError(quoted(v) + " is not one of " + names);
  }
  static Args format(E value) { return {std::string(keyword_name<E>(Table, value))}; }
};

// rtp_opus_frame: one of Opus's frame durations in ms, stored in
// microseconds.
struct OpusFrame {
  static int parse(const Args& args) {
    const auto& v = only_argument(args);
    static constexpr std::pair<std::string_view, int> kFrames[] = {
        {"2.5", 2500}, {"5", 5000}, {"10", 10000}, {"20", 20000}, {"40", 40000}, {"60", 60000},
    };
    for (const auto& [name, us] : kFrames)
      if (v == name) return us;
    throw SyntaxError(quoted(v) + " is not an Opus frame duration (2.5, 5, 10, 20, 40 or 60 ms)");
  }
  static Args format(int us) {
    return {us == 2500 ? std::string("2.5") : std::to_string(us / 1000)};
  }
};

// rtp_duplicate_delay: 0 (no copies), or one to three delays for as many
// copies, each from 1 to 1000 ms, in ascending order.
struct DuplicateDelays {
  using Value = std::vector<std::chrono::milliseconds>;
  static Value parse(const Args& args) {
    if (args.empty()) throw SyntaxError("missing argument");
    if (args.size() > 3) throw SyntaxError("too many delays (at most 3 copies)");
    Value delays;
    for (const auto& a : args) {
      const std::chrono::milliseconds d(parse_integer(a, args.size() == 1 ? 0 : 1, 1000));
      if (d.count() == 0) return {};
      if (!delays.empty() && d <= delays.back())
        throw SyntaxError("the delays must be in ascending order (" + quoted(a) + " is not after " +
                          quoted(std::to_string(delays.back().count())) + ")");
      delays.push_back(d);
    }
    return delays;
  }
  static Args format(const Value& value) {
    if (value.empty()) return {"0"};
    Args out;
    for (auto d : value)
      out.push_back(std::to_string(d.count()));
    return out;
  }
};

// Signals by their full C name, as kill(1) -l would list them with "SIG".
constexpr std::pair<std::string_view, int> kSignals[] = {
    {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},   {"SIGILL", SIGILL},
    {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT}, {"SIGBUS", SIGBUS},     {"SIGFPE", SIGFPE},
    {"SIGKILL", SIGKILL},     {"SIGUSR1", SIGUSR1}, {"SIGSEGV", SIGSEGV},   {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},   {"SIGCHLD", SIGCHLD},
    {"SIGCONT", SIGCONT},     {"SIGSTOP", SIGSTOP}, {"SIGTSTP", SIGTSTP},   {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU},     {"SIGURG", SIGURG},   {"SIGXCPU", SIGXCPU},   {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},
    {"SIGSYS", SIGSYS},
};

struct SignalName {
  static int parse(const Args& args) {
    const auto& v = only_argument(args);
    for (const auto& [name, number] : kSignals)
      if (v == name) return number;
    throw SyntaxError(quoted(v) + " is not a signal name (use the full C name, such as SIGTERM)");
  }
  static Args format(int value) { return {signal_name(value)}; }
};

// sample_format BITS[b|l]/RATE/CHANNELS
struct SampleFormatSpec {
  static SampleFormat parse(const Args& args) {
    const auto& v = only_argument(args);
    auto bad = [&v] {
      return SyntaxError(quoted(v) + " is not BITS/RATE/CHANNELS (such as 16/44100/2)");
    };
    auto slash1 = v.find('/');
    auto slash2 = slash1 == std::string::npos ? slash1 : v.find('/', slash1 + 1);
    if (slash2 == std::string::npos || v.find('/', slash2 + 1) != std::string::npos) throw bad();
    std::string bits = v.substr(0, slash1);
    SampleFormat f;
    if (!bits.empty() && (bits.back() == 'b' || bits.back() == 'l')) {
      f.byte_order = bits.back() == 'b' ? std::endian::big : std::endian::little;
      bits.pop_back();
    }
    auto number = [&bad](const std::string& text) {
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) throw bad();
      try {
        return static_cast<int>(parse_integer(text, 0, INT_MAX));
      } catch (const SyntaxError&) {
        throw bad();
      }
    };
    f.bits = number(bits);
    f.rate = number(v.substr(slash1 + 1, slash2 - slash1 - 1));
    f.channels = number(v.substr(slash2 + 1));
    if (f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32)
      throw SyntaxError(std::to_string(f.bits) +
                        " bits per sample is not supported (use 8, 16, 24 or 32)");
    if (f.rate < 1 || f.rate > 768000)
      throw SyntaxError("rate " + std::to_string(f.rate) + " is out of range (1 to 768000)");
    if (f.channels < 1 || f.channels > 8)
      throw SyntaxError(std::to_string(f.channels) + " channels is out of range (1 to 8)");
    return f;
  }
  static Args format(const SampleFormat& value) { return {to_string(value)}; }
};

// ---------------------------------------------------------------- addresses

bool is_ip_literal(int family, const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  std::string bare = host.substr(0, host.find('%')); // a zone ("fe80::1%eth0") is not ours to check
  return inet_pton(family, (family == AF_INET ? host : bare).c_str(), buf) == 1;
}

void check_host(const std::string& host, int family) {
  const bool v4 = is_ip_literal(AF_INET, host);
  const bool v6 = is_ip_literal(AF_INET6, host);
  if (!v4 && !v6) {
    if (host.empty() || host[0] == '-' || host[0] == '.' ||
        host.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
            std::string::npos)
      throw SyntaxError(quoted(host) + " is not a host name or address");
  }
  if (family == AF_INET && v6) throw SyntaxError(quoted(host) + " is not an IPv4 address");
  if (family == AF_INET6 && v4) throw SyntaxError(quoted(host) + " is not an IPv6 address");
}

void check_service(const std::string& service, bool zero_ok) {
  if (!service.empty() && service.find_first_not_of("0123456789") == std::string::npos) {
    const long long min = zero_ok ? 0 : 1;
    long long port = 0;
    auto [ptr, ec] = std::from_chars(service.data(), service.data() + service.size(), port);
    if (ec != std::errc() || port < min || port > 65535)
      throw SyntaxError("port " + quoted(service) + " is out of range (" + std::to_string(min) +
                        " to 65535)");
    return;
  }
  if (service.empty() || !std::isalpha(static_cast<unsigned char>(service[0])) ||
      service.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != std::string::npos)
    throw SyntaxError(quoted(service) + " is not a port number or service name");
}

// HostOptional: "[FAMILY] [HOST] SERVICE", where "*" or "-" as HOST means
// "any" / "choose" and is stored as empty.  Otherwise "[FAMILY] HOST SERVICE".
template <bool HostOptional, bool PortZeroOk> struct Address {
  static NetAddress parse(const Args& args) {
    NetAddress a;
    size_t i = 0;
    if (!args.empty() && args[0].size() > 1 && args[0][0] == '-') {
      if (args[0] == "-4")
        a.family = AF_INET;
      else if (args[0] == "-6")
        a.family = AF_INET6;
      else
        throw SyntaxError("unknown address family " + quoted(args[0]) + " (use -4 or -6)");
      i = 1;
    }
    const size_t n = args.size() - i;
    if (n == 0) throw SyntaxError(HostOptional ? "missing port" : "missing host and port");
    if (n == 1 && !HostOptional) throw SyntaxError("missing port");
    if (n > 2) throw SyntaxError("too many arguments");
    if (n == 2) {
      a.host = args[i];
      if (HostOptional && (a.host == "*" || a.host == "-"))
        a.host.clear();
      else
        check_host(a.host, a.family);
    }
    a.service = args.back();
    check_service(a.service, PortZeroOk);
    return a;
  }
  static Args format(const NetAddress& a) {
    Args out;
    if (a.family == AF_INET) out.push_back("-4");
    if (a.family == AF_INET6) out.push_back("-6");
    if (!a.host.empty()) out.push_back(a.host);
    out.push_back(a.service);
    return out;
  }
};

// ------------------------------------------------------------- list entries

// collection [[MODULE] ENCODING] ROOT -- with two arguments they are MODULE ROOT.
struct CollectionSpec {
  static Collection parse(const Args& args) {
    Collection c;
    switch (args.size()) {
    case 1:
      c.root = args[0];
      break;
    case 2:
      c.module = args[0];
      c.root = args[1];
      break;
    case 3:
      c.module = args[0];
      c.encoding = args[1];
      c.root = args[2];
      break;
    default:
      throw SyntaxError("too many arguments");
    }
    if (c.module.empty()) throw SyntaxError("empty module name");
    if (!c.encoding.empty()) {
      // glibc's iconv knows every encoding the server could convert names from.
      iconv_t cd = iconv_open("UTF-8", c.encoding.c_str());
      if (cd == reinterpret_cast<iconv_t>(-1))
        throw SyntaxError("unknown encoding " + quoted(c.encoding));
      iconv_close(cd);
    }
    if (c.root.empty() || c.root[0] != '/')
      throw SyntaxError("root " + quoted(c.root) + " is not an absolute path");
    // Track names are ROOT + "/" + ..., so a trailing '/' would double it.
    while (c.root.size() > 1 && c.root.back() == '/')
      c.root.pop_back();
    return c;
  }
  static Args format(const Collection& c) {
    if (c.encoding.empty()) return {c.module, c.root};
    return {c.module, c.encoding, c.root};
  }
};

// player PATTERN MODULE [OPTIONS... [--]] ARGS...
struct PlayerSpec {
  static Player parse(const Args& args) {
    if (args.size() < 2) throw SyntaxError("missing module");
    Player p{args[0], args[1], {}};
    if (p.module != "exec" && p.module != "execraw" && p.module != "shell")
      throw SyntaxError("unknown player module " + quoted(p.module) +
                        " (use exec, execraw or shell)");
    size_t i = 2;
    // "--" is the only option; it lets the first argument start with '-'.
    if (i < args.size() && !args[i].empty() && args[i][0] == '-') {
      if (args[i] != "--") throw SyntaxError("unknown option " + quoted(args[i]));
      ++i;
    }
    p.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    if (p.module == "exec" || p.module == "execraw") {
      if (p.args.empty()) throw SyntaxError(p.module + " needs a command");
    } else {
      if (p.args.empty()) throw SyntaxError("shell needs a command");
      if (p.args.size() > 2)
        throw SyntaxError("shell takes a command and optionally a shell before it");
    }
    return p;
  }
  static Args format(const Player& p) {
    Args out{p.pattern, p.module};
    if (!p.args.empty() && !p.args[0].empty() && p.args[0][0] == '-') out.push_back("--");
    out.insert(out.end(), p.args.begin(), p.args.end());
    return out;
  }
};

struct TrackLengthSpec {
  static TrackLength parse(const Args& args) {
    if (args.size() < 2) throw SyntaxError("missing module");
    if (args.size() > 2) throw SyntaxError("too many arguments");
    if (args[1].empty()) throw SyntaxError("empty module name");
    return {args[0], args[1]};
  }
  static Args format(const TrackLength& t) { return {t.pattern, t.module}; }
};

// web_stream_login USER PASSWORD
struct StreamLoginSpec {
  static StreamLogin parse(const Args& args) {
    if (args.size() != 2) throw SyntaxError("give a user name and a password");
    if (args[0].empty()) throw SyntaxError("empty user name");
    return {args[0], args[1]};
  }
  static Args format(const StreamLogin& l) { return {l.user, l.password}; }
};

// web_icecast HOST PORT MOUNT USER PASSWORD FORMAT
struct IcecastTargetSpec {
  static IcecastTarget parse(const Args& args) {
    if (args.size() != 6) throw SyntaxError("give HOST PORT MOUNT USER PASSWORD FORMAT");
    IcecastTarget t{args[0], args[1], args[2], args[3], args[4], args[5]};
    if (t.host.empty()) throw SyntaxError("empty host");
    parse_integer(t.port, 1, 65535);
    if (t.mount.empty() || t.mount[0] != '/')
      throw SyntaxError(quoted(t.mount) + " is not a mount point (it starts with /)");
    if (t.format != "opus" && t.format != "mp3")
      throw SyntaxError(quoted(t.format) + " is not a stream format (opus or mp3)");
    return t;
  }
  static Args format(const IcecastTarget& t) {
    return {t.host, t.port, t.mount, t.user, t.password, t.format};
  }
};

// namepart PART REGEXP SUBST [CONTEXT [REFLAGS]] and transform TYPE ... alike.
template <typename Rule> struct NameRule {
  static Rule parse(const Args& args) {
    if (args.size() < 3)
      throw SyntaxError(args.size() == 1 ? "missing regexp and substitution"
                                         : "missing substitution");
    if (args.size() > 5) throw SyntaxError("too many arguments");
    Rule r{args[0], args[1], args[2], "*", ""};
    if (args.size() > 3) r.context = args[3];
    if (args.size() > 4) r.flags = args[4];
    for (char c : r.flags)
      if (c != 'i' && c != 'g')
        throw SyntaxError("unknown regexp flag " + quoted(std::string(1, c)) + " (use i or g)");
    return r;
  }
  static Args format(const Rule& r) {
    Args out;
    if constexpr (std::is_same_v<Rule, NamePart>)
      out = {r.part, r.regexp, r.substitution};
    else
      out = {r.type, r.regexp, r.substitution};
    if (r.context != "*" || !r.flags.empty()) out.push_back(r.context);
    if (!r.flags.empty()) out.push_back(r.flags);
    return out;
  }
};

// scratch PATH: names are UTF-8 whatever the collection's encoding.
struct ScratchPath {
  static std::string parse(const Args& args) {
    const auto& v = only_argument(args);
    if (v.empty()) throw SyntaxError("empty path");
    if (!valid_utf8(v)) throw SyntaxError("path is not valid UTF-8");
    return v;
  }
  static Args format(const std::string& value) { return {value}; }
};

// ------------------------------------------------------------- row builders

// A scalar: a later line replaces the value.
template <auto Member, typename Type>
constexpr ConfigItem scalar(std::string_view name, std::string_view default_text) {
  return {name, default_text, [](Config& c, const Args& a) { c.*Member = Type::parse(a); },
          [](const Config& c) { return Lines{Type::format(c.*Member)}; }};
}

// A scalar that may be left unset: an empty optional, or an empty string
// where the empty string cannot be written (api, url).  Unset writes no line.
template <typename T> bool is_unset(const std::optional<T>& v) {
  return !v;
}
bool is_unset(const std::string& v) {
  return v.empty();
}
template <typename T> const T& value_of(const std::optional<T>& v) {
  return *v;
}
const std::string& value_of(const std::string& v) {
  return v;
}

template <auto Member, typename Type>
constexpr ConfigItem optional_scalar(std::string_view name, std::string_view default_text) {
  return {name, default_text, [](Config& c, const Args& a) { c.*Member = Type::parse(a); },
          [](const Config& c) {
            const auto& v = c.*Member;
            return is_unset(v) ? Lines{} : Lines{Type::format(value_of(v))};
          }};
}

// A list: each line appends one entry; the name alone clears the list.
template <auto Member, typename Type>
constexpr ConfigItem list(std::string_view name, std::string_view default_text) {
  return {name, default_text,
          [](Config& c, const Args& a) {
            if (a.empty())
              (c.*Member).clear();
            else
              (c.*Member).push_back(Type::parse(a));
          },
          [](const Config& c) {
            Lines out;
            for (const auto& v : c.*Member)
              out.push_back(Type::format(v));
            return out;
          }};
}

// A list with a built-in default that the first line replaces (namepart,
// transform): Flag says whether the default is still in place.
template <auto Member, auto Flag, typename Type>
constexpr ConfigItem replacing_list(std::string_view name, std::string_view default_text) {
  return {name, default_text,
          [](Config& c, const Args& a) {
            if (a.empty()) {
              (c.*Member).clear();
            } else {
              auto entry = Type::parse(a); // before touching the list
              if (c.*Flag) (c.*Member).clear();
              (c.*Member).push_back(std::move(entry));
            }
            c.*Flag = false;
          },
          [](const Config& c) {
            if (c.*Flag) return Lines{};
            Lines out;
            if ((c.*Member).empty()) out.push_back({}); // an explicitly emptied list
            for (const auto& v : c.*Member)
              out.push_back(Type::format(v));
            return out;
          }};
}

// stopword WORD...: the built-in words stay until the name alone clears them.
constexpr ConfigItem stopword_item(std::string_view default_text) {
  return {"stopword", default_text,
          [](Config& c, const Args& a) {
            if (a.empty()) c.stopword.clear();
            for (const auto& w : a)
              if (w.empty()) throw SyntaxError("empty stopword");
            c.stopword.insert(c.stopword.end(), a.begin(), a.end());
          },
          [](const Config& c) {
            if (c.stopword == default_stopwords()) return Lines{};
            Lines out{Args{}};
            if (!c.stopword.empty()) out.push_back(c.stopword);
            return out;
          }};
}

// rtp_request_allow and web_proxy, PREFIX...: each line adds its entries,
// the name alone clears the list; written back one entry a line.
template <auto Member> constexpr ConfigItem prefix_list_item(std::string_view name) {
  return {name, "(none)",
          [](Config& c, const Args& a) {
            if (a.empty()) (c.*Member).clear();
            std::vector<AddressPrefix> entries;
            for (const auto& text : a) {
              auto p = parse_address_prefix(text);
              if (!p)
                throw SyntaxError(quoted(text) +
                                  " is not an address, an ADDRESS/LENGTH network or any");
              entries.push_back(std::move(*p));
            }
            (c.*Member).insert((c.*Member).end(), entries.begin(), entries.end());
          },
          [](const Config& c) {
            Lines out;
            for (const auto& p : c.*Member)
              out.push_back({p.text});
            return out;
          }};
}

// Another name for an item: parses the same way, never written back.
template <auto Member, typename Type> constexpr ConfigItem alias_of(std::string_view name) {
  return {name, "(see the item it stands for)",
          [](Config& c, const Args& a) { c.*Member = Type::parse(a); }, nullptr};
}

// A name as a template argument, for rows whose functions need their own
// name (ignored_item).
template <std::size_t N> struct FixedName {
  char text[N];
  constexpr FixedName(const char (&s)[N]) { std::copy_n(s, N, text); }
};

// An item of DisOrder's with no meaning here: any arguments are accepted and
// kept in Config::ignored, which format_config() writes back.
template <FixedName Name> constexpr ConfigItem ignored_item() {
  return {Name.text, "(ignored)",
          [](Config& c, const Args& a) {
            c.ignored.push_back({Name.text, a});
          },
          nullptr};
}

// Why each ignored item has no meaning here (for the log).
constexpr std::pair<std::string_view, std::string_view> kIgnoredReasons[] = {
    {"checkpoint_kbyte", "DisOrder's Berkeley DB checkpoints; the database here is SQLite"},
    {"checkpoint_min", "DisOrder's Berkeley DB checkpoints; the database here is SQLite"},
    {"dbversion", "DisOrder's emulation of old database versions, for its own tests"},
    {"rtp_verbose", "DisOrder's once-a-minute RTP statistics in the log"},
    {"templates", "the templates of DisOrder's CGI, which this jukebox does not have"},
};

// Grouped as disorder_config(5) groups them, alphabetical within a group.
constexpr ConfigItem kItems[] = {
    // --- global
    scalar<&Config::home, AbsolutePath>("home", PKGSTATEDIR),
    list<&Config::plugins, NonEmpty>("plugins", "(none)"),

    // --- server
    scalar<&Config::alias, AliasPattern>("alias", "{/artist}{/album}{/title}{ext}"),
    optional_scalar<&Config::api, Api>(
        "api", "(rtp with broadcast, command with speaker_command, else alsa)"),
    scalar<&Config::authorization_algorithm, Algorithm>("authorization_algorithm", "sha1"),
    optional_scalar<&Config::broadcast, Address<false, false>>("broadcast", "(none)"),
    optional_scalar<&Config::broadcast_from, Address<false, true>>("broadcast_from", "(none)"),
    scalar<&Config::channel, AnyString>("channel", "(PCM for alsa, pcm for oss)"),
    list<&Config::collection, CollectionSpec>("collection", "(none)"),
    scalar<&Config::command_timeout, Seconds<1>>("command_timeout", "60"),
    scalar<&Config::cookie_key_lifetime, Seconds<1>>("cookie_key_lifetime", "604800"),
    scalar<&Config::cookie_login_lifetime, Seconds<1>>("cookie_login_lifetime", "86400"),
    scalar<&Config::default_rights, RightsList>(
        "default_rights", "read,play,move_any,move_mine,move_random,remove_any,remove_mine,"
                          "remove_random,scratch_any,scratch_mine,scratch_random,volume,rescan,"
                          "userinfo,prefs,global_prefs,pause"),
    scalar<&Config::device, NonEmpty>("device", "default"),
    scalar<&Config::history, Int<1>>("history", "60"),
    optional_scalar<&Config::listen, Address<true, false>>("listen", "(none)"),
    scalar<&Config::login_timeout, Seconds<1>>("login_timeout", "30"),
    scalar<&Config::max_connections, Int<1>>("max_connections", "1024"),
    scalar<&Config::mixer, AnyString>("mixer", "(0 for alsa, /dev/mixer for oss)"),
    scalar<&Config::mount_rescan, YesNo>("mount_rescan", "yes"),
    scalar<&Config::multicast_loop, YesNo>("multicast_loop", "yes"),
    scalar<&Config::multicast_ttl, Int<0, 255>>("multicast_ttl", "1"),
    replacing_list<&Config::namepart, &Config::namepart_is_default, NameRule<NamePart>>(
        "namepart", "(built-in set)"),
    scalar<&Config::new_bias, Int<0>>("new_bias", "450000"),
    scalar<&Config::new_bias_age, Seconds<0>>("new_bias_age", "604800"),
    scalar<&Config::new_max, Int<1>>("new_max", "100"),
    scalar<&Config::nice_rescan, Int<-20, 19>>("nice_rescan", "10"),
    scalar<&Config::nice_server, Int<-20, 19>>("nice_server", "0"),
    scalar<&Config::nice_speaker, Int<-20, 19>>("nice_speaker", "0"),
    scalar<&Config::noticed_history, Days<1>>("noticed_history", "31"),
    scalar<&Config::pause_mode, Keyword<PauseMode, kPauseModes>>("pause_mode", "silence"),
    list<&Config::player, PlayerSpec>("player", "(none)"),
    scalar<&Config::queue_pad, Int<0>>("queue_pad", "10"),
    scalar<&Config::reminder_interval, Seconds<0>>("reminder_interval", "600"),
    scalar<&Config::remote_userman, YesNo>("remote_userman", "no"),
    scalar<&Config::replay_min, Seconds<0>>("replay_min", "28800"),
    scalar<&Config::rtp_always_request, YesNo>("rtp_always_request", "no"),
    optional_scalar<&Config::rtp_max_payload, Int<13, 65507>>("rtp_max_payload",
                                                              "(what fits the path MTU)"),
    scalar<&Config::rtp_latency, Milliseconds<10, 10000>>("rtp_latency", "100"),
    scalar<&Config::rtp_maxbuffer, Int<0>>("rtp_maxbuffer", "0"),
    scalar<&Config::rtp_minbuffer, Int<0>>("rtp_minbuffer", "0"),
    scalar<&Config::rtp_mode, Keyword<RtpMode, kRtpModes>>("rtp_mode", "auto"),
    scalar<&Config::rtp_mtu_discovery, Keyword<MtuDiscovery, kMtuDiscovery>>("rtp_mtu_discovery",
                                                                             "default"),
    scalar<&Config::rtp_rcvbuf, Int<0>>("rtp_rcvbuf", "0"),
    scalar<&Config::rtp_request_address, Address<true, true>>("rtp_request_address", "- 0"),
    prefix_list_item<&Config::rtp_request_allow>("rtp_request_allow"),
    scalar<&Config::sample_format, SampleFormatSpec>("sample_format", "16/44100/2"),
    list<&Config::scratch, ScratchPath>("scratch", "(none)"),
    scalar<&Config::signal, SignalName>("signal", "SIGKILL"),
    scalar<&Config::sox_generation, Int<0, 1>>("sox_generation", "1"),
    alias_of<&Config::api, Api>("speaker_backend"),
    scalar<&Config::speaker_command, AnyString>("speaker_command", "\"\""),
    stopword_item("(built-in set)"),
    list<&Config::tracklength, TrackLengthSpec>("tracklength", "(none)"),
    scalar<&Config::user, AnyString>("user", "\"\""),

    // --- client
    optional_scalar<&Config::connect, Address<false, false>>("connect", "(the local socket)"),
    scalar<&Config::password, AnyString>("password", "\"\""),
    scalar<&Config::username, AnyString>("username", "(the caller's login name)"),

    // --- web interface
    scalar<&Config::mail_sender, AnyString>("mail_sender", "\"\""),
    scalar<&Config::refresh, Seconds<1>>("refresh", "15"),
    scalar<&Config::refresh_min, Seconds<0>>("refresh_min", "1"),
    scalar<&Config::sendmail, AnyString>("sendmail", "\"\""),
    scalar<&Config::short_display, Int<1>>("short_display", "30"),
    scalar<&Config::smtp_server, NonEmpty>("smtp_server", "127.0.0.1"),
    replacing_list<&Config::transform, &Config::transform_is_default, NameRule<Transform>>(
        "transform", "(built-in set)"),
    optional_scalar<&Config::url, Url>("url", "(inferred from each request)"),
    scalar<&Config::web_listen, Address<true, false>>("web_listen", "8080"),
    prefix_list_item<&Config::web_proxy>("web_proxy"),
    scalar<&Config::web_static, AbsolutePath>("web_static", PKGDATADIR "/static"),
    scalar<&Config::web_stream_listeners, Int<0, 100000>>("web_stream_listeners", "32"),
    scalar<&Config::web_stream_login, StreamLoginSpec>("web_stream_login", "guest \"\""),
    optional_scalar<&Config::web_icecast, IcecastTargetSpec>("web_icecast", "(none)"),

    // --- server (playlists)
    scalar<&Config::playlist_lock_timeout, Seconds<0>>("playlist_lock_timeout", "0"),
    scalar<&Config::playlist_max, Int<1>>("playlist_max", "2147483647"),

    // --- server, added for DisOrder's configuration files
    alias_of<&Config::nice_rescan, Int<-20, 19>>("nice"),
    scalar<&Config::rtp_delay_threshold, Int<1, 44100 * 60>>("rtp_delay_threshold", "882"),
    scalar<&Config::rtp_duplicate_delay, DuplicateDelays>("rtp_duplicate_delay", "0"),
    optional_scalar<&Config::rtp_duplicate_to, Address<false, false>>("rtp_duplicate_to", "(none)"),
    scalar<&Config::rtp_encoding, Keyword<RtpEncoding, kRtpEncodings>>("rtp_encoding", "l16"),
    scalar<&Config::rtp_instance_name, AnyString>("rtp_instance_name", "\"\""),
    scalar<&Config::rtp_opus_bitrate, Int<6000, 510000>>("rtp_opus_bitrate", "96000"),
    scalar<&Config::rtp_opus_frame_us, OpusFrame>("rtp_opus_frame", "20"),
    scalar<&Config::rtp_opus_loss, Int<0, 30>>("rtp_opus_loss", "10"),
    scalar<&Config::rtp_opus_payload_type, Int<96, 127>>("rtp_opus_payload_type", "96"),
    scalar<&Config::rtp_timestamps, Keyword<RtpTimestamps, kRtpTimestamps>>("rtp_timestamps",
                                                                            "frames"),

    // --- DisOrder's, accepted and ignored
    ignored_item<"checkpoint_kbyte">(),
    ignored_item<"checkpoint_min">(),
    ignored_item<"dbversion">(),
    ignored_item<"rtp_verbose">(),
    ignored_item<"templates">(),
};

} // namespace

std::span<const ConfigItem> config_items() {
  return kItems;
}

const ConfigItem* find_config_item(std::string_view name) {
  for (const auto& item : kItems)
    if (item.name == name) return &item;
  return nullptr;
}

std::vector<NamePart> default_nameparts() {
  return {
      {"title", R"(/([0-9]+ *[-:]? *)?([^/]+)\.[a-zA-Z0-9]+$)", "$2", "display", ""},
      {"title", R"(/([^/]+)\.[a-zA-Z0-9]+$)", "$1", "sort", ""},
      {"album", R"(/([^/]+)/[^/]+$)", "$1", "*", ""},
      {"artist", R"(/([^/]+)/[^/]+/[^/]+$)", "$1", "*", ""},
      {"ext", R"((\.[a-zA-Z0-9]+)$)", "$1", "*", ""},
  };
}

std::vector<Transform> default_transforms() {
  return {
      {"track", R"(^.*/([0-9]+ *[-:]? *)?([^/]+)\.[a-zA-Z0-9]+$)", "$2", "display", ""},
      {"track", R"(^.*/([^/]+)\.[a-zA-Z0-9]+$)", "$1", "sort", ""},
      {"dir", R"(^.*/([^/]+)$)", "$1", "*", ""},
      {"dir", R"(^(the) ([^/]*))", "$2 $1", "sort", "i"},
      {"dir", R"([[:punct:]])", "", "sort", "g"},
  };
}

// Words so common in track names that searching for them finds everything.
std::vector<std::string> default_stopwords() {
  return {"a",  "an", "and", "as", "at", "by",  "for", "from", "in",
          "is", "it", "of",  "on", "or", "the", "to",  "with"};
}

std::string_view to_string(RtpMode mode) {
  return keyword_name<RtpMode>(kRtpModes, mode);
}
std::string_view to_string(PauseMode mode) {
  return keyword_name<PauseMode>(kPauseModes, mode);
}
std::string_view to_string(MtuDiscovery mode) {
  return keyword_name<MtuDiscovery>(kMtuDiscovery, mode);
}
std::string_view to_string(RtpTimestamps unit) {
  return keyword_name<RtpTimestamps>(kRtpTimestamps, unit);
}
std::string_view to_string(RtpEncoding encoding) {
  return keyword_name<RtpEncoding>(kRtpEncodings, encoding);
}

std::vector<std::string> ignored_item_notes(const Config& config) {
  std::vector<std::string> notes;
  std::vector<std::string_view> seen;
  for (const IgnoredItem& item : config.ignored) {
    if (std::find(seen.begin(), seen.end(), item.name) != seen.end()) continue;
    seen.push_back(item.name);
    std::string_view why = "an item of DisOrder's";
    for (const auto& [name, reason] : kIgnoredReasons)
      if (name == item.name) why = reason;
    notes.push_back("configuration item " + item.name + " is ignored (" + std::string(why) + ")");
  }
  return notes;
}

std::string signal_name(int signal) {
  for (const auto& [name, number] : kSignals)
    if (number == signal) return std::string(name);
  return "signal " + std::to_string(signal);
}

std::string to_string(const SampleFormat& format) {
  std::string bits = std::to_string(format.bits);
  if (format.byte_order != std::endian::native)
    bits += format.byte_order == std::endian::big ? "b" : "l";
  return bits + "/" + std::to_string(format.rate) + "/" + std::to_string(format.channels);
}

} // namespace disorder
