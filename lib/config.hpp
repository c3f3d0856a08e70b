// The configuration shared by every disorder program: one Config value with a
// typed member per item of disorder_config(5), where the files are, and how
// they are read.  The table that maps item names to members is config_items.cpp.
#pragma once

#include "address_prefix.hpp"
#include "rights.hpp"

#include <bit>
#include <chrono>
#include <climits>
#include <csignal>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <vector>

namespace disorder {

// An address item: "[FAMILY] [HOST] SERVICE" (listen, rtp_request_address) or
// "[FAMILY] HOST SERVICE" (connect, broadcast, broadcast_from).  Nothing is
// resolved while the configuration is read.
struct NetAddress {
  int family = AF_UNSPEC; // AF_INET for -4, AF_INET6 for -6
  // Empty means any address (listen, where "*" is accepted and stored as
  // empty) or "choose one" (rtp_request_address, where "-" is stored as empty).
  std::string host;
  std::string service; // port number or service name
  bool operator==(const NetAddress&) const = default;
};

// collection [[MODULE] ENCODING] ROOT
struct Collection {
  std::string module = "fs";
  std::string encoding; // empty: the server's locale encoding
  std::string root;     // absolute, without a trailing '/'
  bool operator==(const Collection&) const = default;
};

// player PATTERN MODULE [--] ARGS...  (module exec, execraw or shell)
struct Player {
  std::string pattern; // glob matched against the track name
  std::string module;
  std::vector<std::string> args; // the command and its arguments
  bool operator==(const Player&) const = default;
};

// tracklength PATTERN MODULE
struct TrackLength {
  std::string pattern;
  std::string module;
  bool operator==(const TrackLength&) const = default;
};

// web_stream_login USER PASSWORD: the account disorder-web's audio stream
// asks disorderd for the jukebox's RTP stream with.
struct StreamLogin {
  std::string user = "guest";
  std::string password;
  bool operator==(const StreamLogin&) const = default;
};

// web_icecast HOST PORT MOUNT USER PASSWORD FORMAT: an Icecast mount that
// disorder-web feeds.
struct IcecastTarget {
  std::string host, port, mount, user, password;
  std::string format; // "opus" or "mp3"
  bool operator==(const IcecastTarget&) const = default;
};

// namepart PART REGEXP SUBST [CONTEXT [REFLAGS]]
struct NamePart {
  std::string part;
  std::string regexp; // PCRE syntax; not compiled here
  std::string substitution;
  std::string context = "*"; // glob over the context ("display", "sort", ...)
  std::string flags;         // any of 'i' (ignore case) and 'g' (every match)
  bool operator==(const NamePart&) const = default;
};

// transform TYPE REGEXP SUBST [CONTEXT [REFLAGS]]
struct Transform {
  std::string type; // "track", "dir" or a type of the user's own
  std::string regexp;
  std::string substitution;
  std::string context = "*";
  std::string flags;
  bool operator==(const Transform&) const = default;
};

// sample_format BITS[b|l]/RATE/CHANNELS
struct SampleFormat {
  int bits = 16;
  int rate = 44100;
  int channels = 2;
  std::endian byte_order = std::endian::native;
  bool operator==(const SampleFormat&) const = default;
};

enum class RtpMode { automatic, unicast, broadcast, multicast, request };
enum class PauseMode { silence, suspend };
enum class MtuDiscovery { system_default, yes, no };
// What the RTP timestamps of a stream count: frames (RFC 3551, what standard
// receivers expect) or samples (frames times channels, as DisOrder 5.2's
// disorder-playrtp reads them).
enum class RtpTimestamps { frames, samples };
// The encoding of a broadcast stream (rtp_encoding).
enum class RtpEncoding { l16, opus };

// An item of DisOrder's that has no meaning here: accepted with any
// arguments, kept so that the file can be written back, and named once in
// disorderd's log (ignored_item_notes()).
struct IgnoredItem {
  std::string name;
  std::vector<std::string> args;
  bool operator==(const IgnoredItem&) const = default;
};

// The defaults that apply when no namepart / transform line is given, and the
// built-in stopwords that stopword lines add to.
std::vector<NamePart> default_nameparts();
std::vector<Transform> default_transforms();
std::vector<std::string> default_stopwords();

// Every configuration item, named as in the file.  A default-constructed
// Config holds the defaults of disorder_config(5).  Plain data: copy it,
// compare it, hand a const reference to whoever needs it.
struct Config {
  // --- global
  std::string home = PKGSTATEDIR;
  std::vector<std::string> plugins;

  // --- server
  std::string alias = "{/artist}{/album}{/title}{ext}";
  // alsa, ao, coreaudio, oss, command or rtp ("network" is stored as rtp);
  // empty when not configured: effective_api() then picks one.
  std::string api;
  std::string authorization_algorithm = "sha1"; // lower case
  std::optional<NetAddress> broadcast;
  std::optional<NetAddress> broadcast_from;
  std::string channel; // empty: effective_channel()
  std::vector<Collection> collection;
  std::chrono::seconds cookie_key_lifetime{7 * 24 * 3600};
  std::chrono::seconds cookie_login_lifetime{24 * 3600};
  Rights default_rights = right::default_set;
  std::string device = "default";
  int history = 60;
  std::optional<NetAddress> listen;
  // Client connections (server/connection.cpp): how many at once, how long
  // a client has to log in, and to send a command it has started.
  int max_connections = 1024;
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds command_timeout{60};
  std::string mixer; // empty: effective_mixer()
  bool mount_rescan = true;
  bool multicast_loop = true;
  int multicast_ttl = 1;
  std::vector<NamePart> namepart = default_nameparts();
  // True until the first namepart line replaces the defaults above (and the
  // same for transform).  Lines after that accumulate.
  bool namepart_is_default = true;
  int new_bias = 450000;
  std::chrono::seconds new_bias_age{7 * 24 * 3600};
  int new_max = 100;
  int nice_rescan = 10;
  int nice_server = 0;
  int nice_speaker = 0;
  std::chrono::days noticed_history{31};
  PauseMode pause_mode = PauseMode::silence;
  std::vector<Player> player;
  // Playlists: how long a playlist-lock lasts, and how many tracks a
  // playlist may hold (DisOrder's default: no real limit).
  std::chrono::seconds playlist_lock_timeout{0}; // 0: until unlocked
  int playlist_max = INT_MAX;
  int queue_pad = 10;
  std::chrono::seconds reminder_interval{600};
  bool remote_userman = false;
  std::chrono::seconds replay_min{8 * 3600};
  bool rtp_always_request = false;
  std::optional<int> rtp_max_payload; // bytes including the RTP header; unset: fit the MTU
  int rtp_maxbuffer = 0;              // frames; 0: the receiver chooses
  int rtp_minbuffer = 0;              // frames; 0: the receiver chooses
  RtpMode rtp_mode = RtpMode::automatic;
  MtuDiscovery rtp_mtu_discovery = MtuDiscovery::system_default;
  int rtp_rcvbuf = 0; // bytes; 0: the system default
  // How far (in frames at 44.1 kHz) the RTP sender may fall behind its
  // schedule before the lost time counts as a silence (a jump in the
  // timestamps and a marker) rather than being caught up.  882 is 20 ms.
  int rtp_delay_threshold = 882;
  // Names this listener's disorder-playrtp in its log (DisOrder's
  // Disobedience names the instances it runs with it); empty: none.
  std::string rtp_instance_name;
  // The latency every synchronised listener plays at: the sample the
  // sender's reports place at instant t is heard at t plus this
  // (disorder_protocol(5), "Synchronised playout").
  std::chrono::milliseconds rtp_latency{100};
  NetAddress rtp_request_address{AF_UNSPEC, "", "0"};
  // Where rtp-request may send streams besides the requester's own address.
  std::vector<AddressPrefix> rtp_request_allow;
  // The timestamp unit of a broadcast (unicast, broadcast, multicast)
  // stream; in rtp_mode request each listener gets the unit it asks for.
  RtpTimestamps rtp_timestamps = RtpTimestamps::frames;
  // The Opus stream (RFC 7587): what a broadcast stream carries
  // (rtp_encoding), and how it is encoded.  The frame is in microseconds
  // (2.5 ms is one of Opus's durations).
  RtpEncoding rtp_encoding = RtpEncoding::l16;
  int rtp_opus_bitrate = 96000;
  int rtp_opus_frame_us = 20000;
  int rtp_opus_payload_type = 96;
  int rtp_opus_loss = 10; // percent: the floor of the FEC hint
  // Redundancy: every packet sent again this long after the first, once
  // for each delay (ascending; none: not), and in broadcast mode also to a
  // second destination.
  std::vector<std::chrono::milliseconds> rtp_duplicate_delay;
  std::optional<NetAddress> rtp_duplicate_to;
  SampleFormat sample_format;
  int signal = SIGKILL;
  int sox_generation = 1;
  std::string speaker_command; // a shell command; empty: none
  std::vector<std::string> scratch;
  std::vector<std::string> stopword = default_stopwords();
  std::vector<TrackLength> tracklength;
  std::string user; // empty: keep the identity the server was started with

  // --- client
  std::optional<NetAddress> connect; // unset: the local socket_path()
  std::string password;
  std::string username; // load_client_config() sets the caller's login name first

  // --- web interface
  std::string mail_sender;
  std::chrono::seconds refresh{15};
  std::chrono::seconds refresh_min{1};
  std::string sendmail; // empty: talk SMTP to smtp_server
  int short_display = 30;
  std::string smtp_server = "127.0.0.1";
  std::vector<Transform> transform = default_transforms();
  bool transform_is_default = true;
  std::string url; // empty: inferred from each request
  // disorder-web's own: where it listens, which peers may say that the
  // page came over TLS, and where the page's files are.
  NetAddress web_listen{AF_UNSPEC, "", "8080"};
  std::vector<AddressPrefix> web_proxy;
  std::string web_static = PKGDATADIR "/static";
  // Its audio stream: how many may listen at once (0: no stream), the
  // login that asks for the jukebox's RTP stream, and an Icecast mount.
  int web_stream_listeners = 32;
  StreamLogin web_stream_login;
  std::optional<IcecastTarget> web_icecast;

  // DisOrder's items that are accepted and ignored, in file order.
  std::vector<IgnoredItem> ignored;

  std::string socket_path() const;         // home + "/socket"
  std::string private_socket_path() const; // home + "/private/socket"
  // api if set; else rtp when broadcast is set, command when speaker_command
  // is, and alsa otherwise.
  std::string effective_api() const;
  // channel / mixer if set, else the default for effective_api() ("PCM" and
  // "0" for alsa, "pcm" and "/dev/mixer" for oss, else empty).
  std::string effective_channel() const;
  std::string effective_mixer() const;
  // The format the speaker must produce: rtp forces 16b/44100/2 and
  // coreaudio 16/44100/2, whatever sample_format says.
  SampleFormat effective_sample_format() const;

  bool operator==(const Config&) const = default;
};

// Where the configuration files are.  Only from_environment() looks at the
// environment, so anything else (tests, a program given explicit paths) can
// fill one in by hand.
struct ConfigPaths {
  std::string system;   // --config/-c, else $DISORDER_CONFIG, else PKGCONFDIR "/config"
  std::string priv;     // $DISORDER_PRIVCONFIG, else system + ".private"
  std::string user;     // --user-config/-u, else $DISORDER_USERCONFIG, else
                        // $DISORDER_HOME/passwd, else $HOME/.disorder/passwd
  std::string user_sys; // $DISORDER_USERCONFIG_SYS, else system + "." + login
  std::string login;    // the caller's login name (from its uid); may be empty
  // What named system ("--config" or "DISORDER_CONFIG") and user
  // ("--user-config"); empty for a default.  A file named so must exist
  // (load_client_config).  $DISORDER_USERCONFIG stays optional, as
  // disorder_config(5) describes the per-user file, so that it can point
  // at "no file".
  std::string system_named_by;
  std::string user_named_by;

  // An environment variable that is set but empty counts as unset.
  static ConfigPaths from_environment(const std::optional<std::string>& config_option,
                                      const std::optional<std::string>& user_config_option);
};

// The server's view: the system file, which must exist, then the private file
// if it exists.  Also checks what only makes sense as a whole (api command
// needs speaker_command, api rtp needs broadcast unless rtp_mode is request).
// Throws ConfigError for bad contents ("FILE:LINE: what is wrong") and
// SystemError when a file cannot be read.  Nothing is half-applied: either a
// whole new Config comes back or an exception does.
Config load_server_config(const ConfigPaths& paths);

// What load_server_config() would say about the same files, all of it: the
// whole of each file is read, and each problem ("FILE:LINE: what is wrong",
// or a file that cannot be read) is listed, in the order found.  No errors
// means load_server_config() would succeed and return `config`; otherwise
// `config` holds what the good lines set.
struct ConfigCheck {
  Config config;
  std::vector<std::string> errors;
};
ConfigCheck check_server_config_files(const ConfigPaths& paths);

// Where each item of a configuration was last set: item name -> "FILE:LINE".
using ConfigOrigins = std::map<std::string, std::string, std::less<>>;

// A client's view: system, private, user, user_sys, in that order, later
// files overriding earlier ones.  Each is skipped if absent, the private one
// also if it is unreadable, except the files paths says were named (their
// absence is a SystemError "cannot open configuration file PATH: REASON").
// A per-user file (user, user_sys) that group or others may read is refused
// with a ConfigError: it holds a password.  origins, if given, learns where
// each item was set.
Config load_client_config(const ConfigPaths& paths, ConfigOrigins* origins = nullptr);

// Apply the lines of text to config, in order.  filename only labels errors.
// Throws ConfigError "FILENAME:LINE: what is wrong" at the first bad line,
// leaving config with the lines before it applied.
void apply_config_text(Config& config, std::string_view text, const std::string& filename);

// The configuration as text which, applied to a default Config, gives config
// back.  Items at their default value are included; defaulted lists are not.
std::string format_config(const Config& config);

// Options that cannot change while the server runs (home, user, alias,
// namepart, stopword): "" if running and fresh agree on all of them, else a
// message naming the first that differs.
std::string unchangeable_difference(const Config& running, const Config& fresh);

// The first of the items that disorder-speaker reads when it starts (the
// output: api, device, broadcast, rtp_mode, ...) on which running and fresh
// differ, or "" if they agree: the server restarts the speaker to apply it.
std::string speaker_difference(const Config& running, const Config& fresh);

// One row of the item table (config_items.cpp).
struct ConfigItem {
  std::string_view name;
  // The default as it would be written in a file ("10", "\"\"", "- 0"), or a
  // description in parentheses when it cannot be written as a value.
  std::string_view default_text;
  // Apply one line's arguments (everything after the name).  Throws
  // SyntaxError with a message that does not repeat the item name.
  void (*apply)(Config& config, const std::vector<std::string>& args);
  // The lines (argument lists) that recreate this item's value, as
  // format_config() writes them; nullptr for an alias of another item.
  std::vector<std::vector<std::string>> (*format)(const Config& config);
};

std::span<const ConfigItem> config_items();
// nullptr if there is no such item.  Names are case-sensitive.
const ConfigItem* find_config_item(std::string_view name);

std::string_view to_string(RtpMode mode);
std::string_view to_string(PauseMode mode);
std::string_view to_string(MtuDiscovery mode);
std::string_view to_string(RtpTimestamps unit);
std::string_view to_string(RtpEncoding encoding);

// One log line for each distinct ignored item in config (checkpoint_kbyte,
// templates, ...), saying that it is ignored and why.  disorderd logs them
// when it reads its configuration; other programs stay quiet.
std::vector<std::string> ignored_item_notes(const Config& config);
// "SIGKILL" for 9; "signal N" for a number with no name.
std::string signal_name(int signal);
// "16/44100/2", "16b/44100/2"
std::string to_string(const SampleFormat& format);

} // namespace disorder
