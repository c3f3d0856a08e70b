// Reading configuration files: where they are (ConfigPaths), the order in
// which they apply, the per-user permission check, and the line parser that
// hands each line to its item in config_items.cpp.
#include "config.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "split.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder {

namespace {

// How a missing or unreadable file is treated.
enum class Need {
  required,             // it must exist and be readable
  optional,             // skipped if absent
  optional_if_readable, // skipped if absent or if we may not read it
};

// Per-user files hold a password: they must not be readable by anyone but
// their owner.
enum class Privacy { any, owner_only };

// How deep `include` may nest (a file that includes itself stops here).
constexpr int kMaxIncludeDepth = 10;

// Where problems go when a check wants all of them (check_server_config_files()):
// each bad line is recorded there and the next line read.  nullptr: the
// first bad line throws.
using ErrorList = std::vector<std::string>;

void apply_lines(Config& config, std::string_view text, const std::string& filename,
                 const std::function<void(const std::string&)>& include, ErrorList* errors,
                 ConfigOrigins* origins = nullptr);

// How one file is read, besides its path, need and privacy.
struct Reading {
  ErrorList* errors = nullptr;      // see ErrorList
  ConfigOrigins* origins = nullptr; // if given, learns which line set each item
  std::string named_by;             // what named a required file, for its open error
  int depth = 0;                    // of `include`
};

// Applies one file to config.  Returns false if the file was skipped.
// `include PATH` lines apply PATH there and then (a relative PATH is taken
// from this file's directory), with the same privacy rule.
bool apply_config_file(Config& config, const std::string& path, Need need, Privacy privacy,
                       const Reading& reading = {}) {
  if (path.empty() && need != Need::required) return false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (need != Need::required && errno == ENOENT) return false;
    if (need == Need::optional_if_readable && errno == EACCES) return false;
    if (!reading.named_by.empty())
      throw_errno("cannot open the configuration file " + path + " (named by " + reading.named_by +
                  ")");
    throw_errno("cannot open " + path);
  }
  // fstat on the open file, so the mode checked is the mode of what we read.
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_errno("cannot stat " + path);
  if (privacy == Privacy::owner_only && (st.st_mode & (S_IRGRP | S_IROTH)))
    throw ConfigError(path +
                      ": refusing to read a password file that group or others can read "
                      "(chmod 600 " +
                      path + ")");
  std::string text;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read " + path);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  apply_lines(
      config, text, path,
      [&](const std::string& included) {
        if (reading.depth + 1 >= kMaxIncludeDepth)
          throw SyntaxError("include: more than " + std::to_string(kMaxIncludeDepth) +
                            " files deep (does a file include itself?)");
        std::string full = included;
        if (!full.empty() && full[0] != '/') {
          const auto slash = path.rfind('/');
          if (slash != std::string::npos) full = path.substr(0, slash + 1) + full;
        }
        apply_config_file(config, full, Need::required, privacy,
                          {reading.errors, reading.origins, "", reading.depth + 1});
      },
      reading.errors, reading.origins);
  return true;
}

// Checks that concern several items, made once every file has been read.
void check_server_config(const Config& config, const std::string& where) {
  const std::string api = config.effective_api();
  if (api == "command" && config.speaker_command.empty())
    throw ConfigError(where + ": api command needs a speaker_command");
  if (api == "rtp" && !config.broadcast && config.rtp_mode != RtpMode::request)
    throw ConfigError(where + ": api rtp needs a broadcast address (or rtp_mode request)");
  if (api == "rtp" && config.rtp_mode == RtpMode::request) {
    if (config.rtp_duplicate_to)
      throw ConfigError(where +
                        ": rtp_duplicate_to needs a broadcast stream (not rtp_mode request)");
    if (config.rtp_encoding != RtpEncoding::l16)
      throw ConfigError(where + ": rtp_encoding is for a broadcast stream; in rtp_mode request "
                                "each listener asks for its encoding");
  }
}

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

} // namespace

namespace {

// The lines of one file; `include` (which DisOrder's Debian package writes)
// goes to `include`, or is refused when that is empty (text that is not a
// file).
void apply_lines(Config& config, std::string_view text, const std::string& filename,
                 const std::function<void(const std::string&)>& include, ErrorList* errors,
                 ConfigOrigins* origins) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    try {
      std::vector<std::string> fields = split_fields(line, SplitMode::config);
      if (fields.empty()) continue;
      if (fields[0] == "include") {
        if (fields.size() != 2) throw SyntaxError("include takes one file name");
        if (!include) throw SyntaxError("include is only allowed in a configuration file");
        try {
          include(fields[1]);
        } catch (const SystemError& e) {
          throw SyntaxError(std::string("include: ") + e.what());
        }
        continue;
      }
      const ConfigItem* item = find_config_item(fields[0]);
      if (item == nullptr) throw SyntaxError("unknown configuration item '" + fields[0] + "'");
      const std::string name = std::move(fields[0]);
      fields.erase(fields.begin());
      try {
        item->apply(config, fields);
      } catch (const SyntaxError& e) {
        throw SyntaxError(name + ": " + e.what());
      }
      if (origins) (*origins)[name] = filename + ":" + std::to_string(line_number);
    } catch (const SyntaxError& e) {
      std::string where = filename + ":" + std::to_string(line_number) + ": " + e.what();
      if (!errors) throw ConfigError(where);
      errors->push_back(std::move(where));
    }
  }
}

} // namespace

void apply_config_text(Config& config, std::string_view text, const std::string& filename) {
  apply_lines(config, text, filename, nullptr, nullptr);
}

std::string format_config(const Config& config) {
  std::string out;
  for (const ConfigItem& item : config_items()) {
    if (item.format == nullptr) continue;
    for (const auto& args : item.format(config)) {
      out += item.name;
      if (!args.empty()) out += " " + quote_fields(args);
      out += '\n';
    }
  }
  // The items kept only to be written back (their rows have no format).
  for (const IgnoredItem& item : config.ignored) {
    out += item.name;
    if (!item.args.empty()) out += " " + quote_fields(item.args);
    out += '\n';
  }
  return out;
}

Config load_server_config(const ConfigPaths& paths) {
  Config config;
  apply_config_file(config, paths.system, Need::required, Privacy::any);
  apply_config_file(config, paths.priv, Need::optional, Privacy::any);
  check_server_config(config, paths.system);
  return config;
}

ConfigCheck check_server_config_files(const ConfigPaths& paths) {
  ConfigCheck result;
  Config& config = result.config;
  ErrorList& errors = result.errors;
  // A file that cannot be read is one problem; the other file is still
  // read, so that its lines are checked too.
  auto read = [&](const std::string& path, Need need) {
    try {
      apply_config_file(config, path, need, Privacy::any, {&errors, nullptr, "", 0});
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
  };
  read(paths.system, Need::required);
  read(paths.priv, Need::optional);
  // The checks of the whole only mean something once every line applied.
  if (errors.empty()) {
    try {
      check_server_config(config, paths.system);
    } catch (const ConfigError& e) {
      errors.push_back(e.what());
    }
  }
  return result;
}

Config load_client_config(const ConfigPaths& paths, ConfigOrigins* origins) {
  Config config;
  config.username = paths.login;
  // A file the user named is one they expect to be read: its absence is a
  // mistake to report, not a default to fall back on silently.
  // An emptied path (--no-per-user-config) reads nothing, named or not.
  auto named = [&](const std::string& path, const std::string& named_by, Privacy privacy) {
    const Need need = named_by.empty() || path.empty() ? Need::optional : Need::required;
    apply_config_file(config, path, need, privacy, {nullptr, origins, named_by, 0});
  };
  named(paths.system, paths.system_named_by, Privacy::any);
  apply_config_file(config, paths.priv, Need::optional_if_readable, Privacy::any,
                    {nullptr, origins, "", 0});
  // disorder_config(5) reads the user's own file before the system-controlled
  // per-user one, so an administrator's config.USERNAME has the last word.
  named(paths.user, paths.user_named_by, Privacy::owner_only);
  apply_config_file(config, paths.user_sys, Need::optional, Privacy::owner_only,
                    {nullptr, origins, "", 0});
  return config;
}

std::string unchangeable_difference(const Config& running, const Config& fresh) {
  auto refused = [](std::string_view name) {
    return std::string(name) + " cannot be changed while the server is running";
  };
  if (running.home != fresh.home) return refused("home");
  if (running.user != fresh.user) return refused("user");
  if (running.alias != fresh.alias) return refused("alias");
  if (running.namepart != fresh.namepart) return refused("namepart");
  if (running.stopword != fresh.stopword) return refused("stopword");
  return "";
}

std::string speaker_difference(const Config& running, const Config& fresh) {
  static constexpr std::string_view kSpeakerItems[] = {
      "api",           "broadcast",       "broadcast_from", "channel",
      "device",        "mixer",           "multicast_loop", "multicast_ttl",
      "pause_mode",    "rtp_max_payload", "rtp_mode",       "rtp_mtu_discovery",
      "sample_format", "speaker_command", "rtp_timestamps", "rtp_delay_threshold",
      "rtp_latency",
  };
  // The Opus stream and the duplicate packets.
  static constexpr std::string_view kRtpSendItems[] = {
      "rtp_encoding",          "rtp_opus_bitrate",    "rtp_opus_frame",  "rtp_opus_loss",
      "rtp_opus_payload_type", "rtp_duplicate_delay", "rtp_duplicate_to"};
  using Items = std::span<const std::string_view>;
  for (Items items : {Items(kSpeakerItems), Items(kRtpSendItems)})
    for (std::string_view name : items) {
      const ConfigItem* item = find_config_item(name);
      if (item->format(running) != item->format(fresh)) return std::string(name);
    }
  return "";
}

ConfigPaths ConfigPaths::from_environment(const std::optional<std::string>& config_option,
                                          const std::optional<std::string>& user_config_option) {
  ConfigPaths paths;
  // The login name and home directory come from the password database; the
  // buffer size is glibc's suggestion, grown if an entry does not fit.
  std::string home_from_passwd;
  std::vector<char> buffer(std::max<long>(::sysconf(_SC_GETPW_R_SIZE_MAX), 1024));
  struct passwd pw {};
  struct passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwuid_r(::getuid(), &pw, buffer.data(), buffer.size(), &found)) == ERANGE)
    buffer.resize(buffer.size() * 2);
  if (rc == 0 && found != nullptr) {
    paths.login = pw.pw_name;
    home_from_passwd = pw.pw_dir;
  }

  if (config_option) {
    paths.system = *config_option;
    paths.system_named_by = "--config";
  } else if (auto v = environment("DISORDER_CONFIG")) {
    paths.system = *v;
    paths.system_named_by = "DISORDER_CONFIG";
  } else {
    paths.system = PKGCONFDIR "/config";
  }

  paths.priv = environment("DISORDER_PRIVCONFIG").value_or(paths.system + ".private");

  if (user_config_option) {
    paths.user = *user_config_option;
    paths.user_named_by = "--user-config";
  } else if (auto v = environment("DISORDER_USERCONFIG"))
    paths.user = *v;
  else if (auto dh = environment("DISORDER_HOME"))
    paths.user = *dh + "/passwd";
  else if (auto h = environment("HOME"))
    paths.user = *h + "/.disorder/passwd";
  else if (!home_from_passwd.empty())
    paths.user = home_from_passwd + "/.disorder/passwd";

  if (auto v = environment("DISORDER_USERCONFIG_SYS"))
    paths.user_sys = *v;
  else if (!paths.login.empty())
    paths.user_sys = paths.system + "." + paths.login;
  return paths;
}

std::string Config::socket_path() const {
  return home + "/socket";
}

std::string Config::private_socket_path() const {
  return home + "/private/socket";
}

std::string Config::effective_api() const {
  if (!api.empty()) return api;
  // broadcast "implies api rtp", so it wins over a speaker_command.
  if (broadcast) return "rtp";
  if (!speaker_command.empty()) return "command";
  return "alsa";
}

std::string Config::effective_channel() const {
  if (!channel.empty()) return channel;
  const std::string a = effective_api();
  if (a == "alsa") return "PCM";
  if (a == "oss") return "pcm";
  return "";
}

std::string Config::effective_mixer() const {
  if (!mixer.empty()) return mixer;
  const std::string a = effective_api();
  if (a == "alsa") return "0";
  if (a == "oss") return "/dev/mixer";
  return "";
}

SampleFormat Config::effective_sample_format() const {
  const std::string a = effective_api();
  if (a == "rtp") return {16, 44100, 2, std::endian::big};
  if (a == "coreaudio") return {16, 44100, 2, std::endian::native};
  return sample_format;
}

} // namespace disorder
