// Unit tests for the configuration: the file syntax, every value type (good
// values and the exact FILE:LINE message for bad ones), lists, defaults, the
// order in which files apply, the password-file permission check, the
// environment variables and what may not change while the server runs.
#include "config.hpp"

#include "error.hpp"
#include "rights.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace disorder;
using namespace std::chrono_literals;

namespace {

Config parse(std::string_view text) {
  Config c;
  apply_config_text(c, text, "test.conf");
  return c;
}

// The ConfigError message text would produce, or a note that there was none.
std::string error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// A directory under /tmp removed with everything in it at the end of a test.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes name with the given contents and mode; returns its path.
  std::string write(const std::string& name, const std::string& contents,
                    mode_t mode = 0600) const {
    std::string p = path_ + "/" + name;
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << contents;
    }
    if (::chmod(p.c_str(), mode) != 0) throw std::runtime_error("chmod failed");
    return p;
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// Sets (or unsets) an environment variable for the life of the object.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

// Every variable from_environment() reads, cleared, so each test sets only
// what it means to.
struct CleanEnvironment {
  ScopedEnv config{"DISORDER_CONFIG", std::nullopt};
  ScopedEnv priv{"DISORDER_PRIVCONFIG", std::nullopt};
  ScopedEnv user{"DISORDER_USERCONFIG", std::nullopt};
  ScopedEnv user_sys{"DISORDER_USERCONFIG_SYS", std::nullopt};
  ScopedEnv home{"DISORDER_HOME", std::nullopt};
};

std::string login_name() {
  struct passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : "";
}

} // namespace

// ------------------------------------------------------------------ syntax

TEST(ConfigSyntax, BlankLinesCommentsAndWhitespace) {
  Config c = parse("\n"
                   "# a comment line\n"
                   "   \t  \n"
                   "queue_pad\t 20   # trailing comment\n"
                   "  history 7\r\n"
                   "\fdevice hw:0");
  EXPECT_EQ(c.queue_pad, 20);
  EXPECT_EQ(c.history, 7);
  EXPECT_EQ(c.device, "hw:0"); // last line without a newline still counts
}

TEST(ConfigSyntax, QuotesAndEscapes) {
  EXPECT_EQ(parse(R"(password "two words")").password, "two words");
  EXPECT_EQ(parse(R"(password 'two words')").password, "two words");
  EXPECT_EQ(parse(R"(password "a\\b\"c\'d\ne")").password, "a\\b\"c'd\ne");
  EXPECT_EQ(parse(R"(password 'it\'s')").password, "it's");
  EXPECT_EQ(parse(R"(password "")").password, "");
  EXPECT_EQ(parse(R"(password "not # a comment")").password, "not # a comment");
  EXPECT_EQ(parse("password abc#def").password, "abc");
  EXPECT_EQ(parse(R"(password a"b)").password, "a\"b");
}

TEST(ConfigSyntax, QuotingErrorsCarryFileAndLine) {
  EXPECT_EQ(error_of("# one\n\npassword \"abc\n"), "test.conf:3: unterminated quoted string");
  EXPECT_EQ(error_of(R"(password "a\tb")"), "test.conf:1: invalid escape sequence \\t");
  EXPECT_EQ(error_of(R"(password "ab"c)"), "test.conf:1: missing space after quoted string");
  EXPECT_EQ(error_of("password 'abc\\"), "test.conf:1: unterminated quoted string");
}

TEST(ConfigSyntax, UnknownItemsAreRefused) {
  EXPECT_EQ(error_of("queue_pad 3\n\n\n\n\n\n\n\n\n\n\nqeue_pad 10"),
            "test.conf:12: unknown configuration item 'qeue_pad'");
  EXPECT_EQ(error_of("Queue_pad 10"), "test.conf:1: unknown configuration item 'Queue_pad'");
  EXPECT_EQ(error_of("\"\" 10"), "test.conf:1: unknown configuration item ''");
}

TEST(ConfigSyntax, FileNameComesFromTheCaller) {
  Config c;
  try {
    apply_config_text(c, "history 5\nhistory x\n", "/etc/disorder/config");
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/etc/disorder/config:2: history: 'x' is not an integer");
  }
  EXPECT_EQ(c.history, 5); // lines before the bad one were applied
}

TEST(ConfigSyntax, LaterLinesOverrideScalars) {
  Config c = parse("queue_pad 1\nqueue_pad 2\nqueue_pad 3");
  EXPECT_EQ(c.queue_pad, 3);
}

// ------------------------------------------------------------------ values

TEST(ConfigValues, Integers) {
  EXPECT_EQ(parse("queue_pad 0").queue_pad, 0);
  EXPECT_EQ(parse("new_bias 1234567").new_bias, 1234567);
  EXPECT_EQ(parse("nice_server -20").nice_server, -20);
  EXPECT_EQ(parse("nice_rescan 19").nice_rescan, 19);
  EXPECT_EQ(parse("multicast_ttl 255").multicast_ttl, 255);
  EXPECT_EQ(parse("sox_generation 0").sox_generation, 0);
  EXPECT_EQ(parse("short_display 12").short_display, 12);
  EXPECT_EQ(parse("rtp_rcvbuf 65536").rtp_rcvbuf, 65536);

  EXPECT_EQ(error_of("\n\nqueue_pad ten"), "test.conf:3: queue_pad: 'ten' is not an integer");
  EXPECT_EQ(error_of("queue_pad 1.5"), "test.conf:1: queue_pad: '1.5' is not an integer");
  EXPECT_EQ(error_of("queue_pad +5"), "test.conf:1: queue_pad: '+5' is not an integer");
  EXPECT_EQ(error_of("queue_pad \"\""), "test.conf:1: queue_pad: '' is not an integer");
  EXPECT_EQ(error_of("queue_pad -1"),
            "test.conf:1: queue_pad: '-1' is too small (the minimum is 0)");
  EXPECT_EQ(error_of("multicast_ttl 256"),
            "test.conf:1: multicast_ttl: '256' is too large (the maximum is 255)");
  EXPECT_EQ(error_of("nice_speaker -21"),
            "test.conf:1: nice_speaker: '-21' is too small (the minimum is -20)");
  EXPECT_EQ(error_of("history 0"), "test.conf:1: history: '0' is too small (the minimum is 1)");
  EXPECT_EQ(error_of("sox_generation 2"),
            "test.conf:1: sox_generation: '2' is too large (the maximum is 1)");
  EXPECT_EQ(error_of("queue_pad 99999999999999999999999"),
            "test.conf:1: queue_pad: '99999999999999999999999' is too large (the maximum is "
            "2147483647)");
  EXPECT_EQ(error_of("queue_pad"), "test.conf:1: queue_pad: missing argument");
  EXPECT_EQ(error_of("queue_pad 1 2"), "test.conf:1: queue_pad: too many arguments");
}

TEST(ConfigValues, Durations) {
  EXPECT_EQ(parse("cookie_key_lifetime 3600").cookie_key_lifetime, 3600s);
  EXPECT_EQ(parse("cookie_login_lifetime 60").cookie_login_lifetime, 60s);
  EXPECT_EQ(parse("replay_min 0").replay_min, 0s);
  EXPECT_EQ(parse("new_bias_age 100").new_bias_age, 100s);
  EXPECT_EQ(parse("reminder_interval 5").reminder_interval, 5s);
  EXPECT_EQ(parse("refresh 30").refresh, 30s);
  EXPECT_EQ(parse("refresh_min 0").refresh_min, 0s);
  EXPECT_EQ(parse("noticed_history 7").noticed_history, std::chrono::days(7));
  EXPECT_EQ(error_of("cookie_login_lifetime 0"),
            "test.conf:1: cookie_login_lifetime: '0' is too small (the minimum is 1)");
  EXPECT_EQ(error_of("replay_min 8h"), "test.conf:1: replay_min: '8h' is not an integer");
  EXPECT_EQ(error_of("noticed_history 0"),
            "test.conf:1: noticed_history: '0' is too small (the minimum is 1)");
}

TEST(ConfigValues, Booleans) {
  EXPECT_TRUE(parse("remote_userman yes").remote_userman);
  EXPECT_FALSE(parse("mount_rescan no").mount_rescan);
  EXPECT_FALSE(parse("multicast_loop no").multicast_loop);
  EXPECT_TRUE(parse("rtp_always_request yes").rtp_always_request);
  EXPECT_EQ(error_of("remote_userman true"),
            "test.conf:1: remote_userman: 'true' is not yes or no");
  EXPECT_EQ(error_of("remote_userman YES"), "test.conf:1: remote_userman: 'YES' is not yes or no");
  EXPECT_EQ(error_of("mount_rescan"), "test.conf:1: mount_rescan: missing argument");
}

TEST(ConfigValues, Strings) {
  EXPECT_EQ(parse("home /srv/jukebox").home, "/srv/jukebox");
  EXPECT_EQ(error_of("home srv/jukebox"),
            "test.conf:1: home: 'srv/jukebox' is not an absolute path");
  EXPECT_EQ(parse("user jukebox").user, "jukebox");
  EXPECT_EQ(parse("username fred").username, "fred");
  EXPECT_EQ(parse("device hw:1,0").device, "hw:1,0");
  EXPECT_EQ(error_of("device \"\""), "test.conf:1: device: empty value");
  EXPECT_EQ(parse("channel Master").channel, "Master");
  EXPECT_EQ(parse("mixer /dev/mixer1").mixer, "/dev/mixer1");
  EXPECT_EQ(parse("speaker_command \"aplay -q -f cd\"").speaker_command, "aplay -q -f cd");
  EXPECT_EQ(parse("mail_sender jukebox@example.com").mail_sender, "jukebox@example.com");
  EXPECT_EQ(parse("sendmail /usr/sbin/sendmail").sendmail, "/usr/sbin/sendmail");
  EXPECT_EQ(parse("smtp_server mail.example.com").smtp_server, "mail.example.com");
  EXPECT_EQ(parse("url http://jukebox/").url, "http://jukebox/");
  EXPECT_EQ(error_of("url /cgi-bin/jukebox"),
            "test.conf:1: url: '/cgi-bin/jukebox' is not a full URL (such as http://host/path)");
  EXPECT_EQ(error_of("password a b"), "test.conf:1: password: too many arguments");
}

TEST(ConfigValues, Alias) {
  EXPECT_EQ(parse("alias {artist}/{/album}-x{ext}").alias, "{artist}/{/album}-x{ext}");
  EXPECT_EQ(parse("alias plain}text").alias, "plain}text");
  EXPECT_EQ(error_of("alias {/artist{/album}"),
            "test.conf:1: alias: '{' inside a name part in '{/artist{/album}'");
  EXPECT_EQ(error_of("alias {/artist"),
            "test.conf:1: alias: '{' without a matching '}' in '{/artist'");
  EXPECT_EQ(error_of("alias x{/}y"), "test.conf:1: alias: empty name part in 'x{/}y'");
}

TEST(ConfigValues, AuthorizationAlgorithm) {
  EXPECT_EQ(parse("authorization_algorithm sha256").authorization_algorithm, "sha256");
  EXPECT_EQ(parse("authorization_algorithm SHA512").authorization_algorithm, "sha512");
  EXPECT_EQ(error_of("authorization_algorithm md5"),
            "test.conf:1: authorization_algorithm: 'md5' is not one of sha1, sha256, sha384, "
            "sha512");
}

TEST(ConfigValues, DefaultRights) {
  EXPECT_EQ(parse("default_rights read,play").default_rights, right::read | right::play);
  EXPECT_EQ(parse("default_rights \"read, move any\"").default_rights,
            right::read | right::move_any);
  EXPECT_EQ(parse("default_rights all").default_rights, right::all);
  EXPECT_EQ(parse("default_rights \"\"").default_rights, right::none);
  // DisOrder's spelling, unquoted: the words are one list.
  EXPECT_EQ(parse("default_rights read,move any,global prefs").default_rights,
            right::read | right::move_any | right::global_prefs);
  EXPECT_EQ(parse("default_rights read,move_mine,scratch-random").default_rights,
            right::read | right::move_mine | right::scratch_random);
  EXPECT_EQ(error_of("default_rights"), "test.conf:1: default_rights: missing argument");
  EXPECT_EQ(error_of("default_rights read,fly"),
            "test.conf:1: default_rights: unknown right 'fly'");
}

TEST(ConfigValues, ApiAndItsAliases) {
  for (std::string api : {"alsa", "ao", "command", "coreaudio", "oss", "rtp"})
    EXPECT_EQ(parse("api " + api).api, api);
  EXPECT_EQ(parse("api network").api, "rtp");
  EXPECT_EQ(parse("speaker_backend command").api, "command");
  EXPECT_EQ(parse("speaker_backend network").api, "rtp");
  EXPECT_EQ(error_of("speaker_backend pulse"),
            "test.conf:1: speaker_backend: 'pulse' is not one of alsa, ao, command, coreaudio, "
            "oss, rtp, network");
}

TEST(ConfigValues, Keywords) {
  EXPECT_EQ(parse("rtp_mode unicast").rtp_mode, RtpMode::unicast);
  EXPECT_EQ(parse("rtp_mode broadcast").rtp_mode, RtpMode::broadcast);
  EXPECT_EQ(parse("rtp_mode multicast").rtp_mode, RtpMode::multicast);
  EXPECT_EQ(parse("rtp_mode request").rtp_mode, RtpMode::request);
  EXPECT_EQ(parse("rtp_mode request\nrtp_mode auto").rtp_mode, RtpMode::automatic);
  EXPECT_EQ(error_of("rtp_mode anycast"),
            "test.conf:1: rtp_mode: 'anycast' is not one of auto, unicast, broadcast, multicast, "
            "request");
  EXPECT_EQ(parse("pause_mode suspend").pause_mode, PauseMode::suspend);
  EXPECT_EQ(error_of("pause_mode stop"),
            "test.conf:1: pause_mode: 'stop' is not one of silence, suspend");
  EXPECT_EQ(parse("rtp_mtu_discovery yes").rtp_mtu_discovery, MtuDiscovery::yes);
  EXPECT_EQ(parse("rtp_mtu_discovery no").rtp_mtu_discovery, MtuDiscovery::no);
  EXPECT_EQ(parse("rtp_mtu_discovery no\nrtp_mtu_discovery default").rtp_mtu_discovery,
            MtuDiscovery::system_default);
  EXPECT_EQ(error_of("rtp_mtu_discovery maybe"),
            "test.conf:1: rtp_mtu_discovery: 'maybe' is not one of default, yes, no");
  EXPECT_EQ(to_string(RtpMode::automatic), "auto");
  EXPECT_EQ(to_string(PauseMode::silence), "silence");
  EXPECT_EQ(to_string(MtuDiscovery::system_default), "default");
}

TEST(ConfigValues, Signals) {
  EXPECT_EQ(parse("signal SIGTERM").signal, SIGTERM);
  EXPECT_EQ(parse("signal SIGINT").signal, SIGINT);
  EXPECT_EQ(parse("signal SIGUSR1").signal, SIGUSR1);
  EXPECT_EQ(error_of("signal INT"),
            "test.conf:1: signal: 'INT' is not a signal name (use the full C name, such as "
            "SIGTERM)");
  EXPECT_EQ(error_of("signal 9"),
            "test.conf:1: signal: '9' is not a signal name (use the full C name, such as "
            "SIGTERM)");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGHUP), "SIGHUP");
}

TEST(ConfigValues, SampleFormat) {
  SampleFormat f = parse("sample_format 16b/44100/2").sample_format;
  EXPECT_EQ(f.bits, 16);
  EXPECT_EQ(f.rate, 44100);
  EXPECT_EQ(f.channels, 2);
  EXPECT_EQ(f.byte_order, std::endian::big);
  f = parse("sample_format 8l/8000/1").sample_format;
  EXPECT_EQ(f, (SampleFormat{8, 8000, 1, std::endian::little}));
  f = parse("sample_format 24/96000/6").sample_format;
  EXPECT_EQ(f, (SampleFormat{24, 96000, 6, std::endian::native}));
  EXPECT_EQ(to_string(SampleFormat{}), "16/44100/2");
  EXPECT_EQ(to_string(SampleFormat{16, 44100, 2,
                                   std::endian::native == std::endian::big ? std::endian::little
                                                                           : std::endian::big}),
            std::endian::native == std::endian::big ? "16l/44100/2" : "16b/44100/2");

  const std::string shape = " is not BITS/RATE/CHANNELS (such as 16/44100/2)";
  EXPECT_EQ(error_of("sample_format 16/44100"), "test.conf:1: sample_format: '16/44100'" + shape);
  EXPECT_EQ(error_of("sample_format 16/44100/2/1"),
            "test.conf:1: sample_format: '16/44100/2/1'" + shape);
  EXPECT_EQ(error_of("sample_format 16x/44100/2"),
            "test.conf:1: sample_format: '16x/44100/2'" + shape);
  EXPECT_EQ(error_of("sample_format 16//2"), "test.conf:1: sample_format: '16//2'" + shape);
  EXPECT_EQ(error_of("sample_format 12/44100/2"),
            "test.conf:1: sample_format: 12 bits per sample is not supported (use 8, 16, 24 or "
            "32)");
  EXPECT_EQ(error_of("sample_format 16/0/2"),
            "test.conf:1: sample_format: rate 0 is out of range (1 to 768000)");
  EXPECT_EQ(error_of("sample_format 16/44100/9"),
            "test.conf:1: sample_format: 9 channels is out of range (1 to 8)");
}

TEST(ConfigValues, ListenAddresses) {
  EXPECT_EQ(parse("listen 9999").listen, (NetAddress{AF_UNSPEC, "", "9999"}));
  EXPECT_EQ(parse("listen * 9999").listen, (NetAddress{AF_UNSPEC, "", "9999"}));
  EXPECT_EQ(parse("listen 127.0.0.1 9999").listen, (NetAddress{AF_UNSPEC, "127.0.0.1", "9999"}));
  EXPECT_EQ(parse("listen -4 0.0.0.0 disorder").listen,
            (NetAddress{AF_INET, "0.0.0.0", "disorder"}));
  EXPECT_EQ(parse("listen -6 ::1 9999").listen, (NetAddress{AF_INET6, "::1", "9999"}));
  EXPECT_EQ(parse("listen -6 9999").listen, (NetAddress{AF_INET6, "", "9999"}));
  EXPECT_EQ(parse("listen jukebox.example.com 9999").listen,
            (NetAddress{AF_UNSPEC, "jukebox.example.com", "9999"}));

  EXPECT_EQ(error_of("\n\n\n\n\n\nlisten"), "test.conf:7: listen: missing port");
  EXPECT_EQ(error_of("listen -4"), "test.conf:1: listen: missing port");
  EXPECT_EQ(error_of("listen -5 9999"),
            "test.conf:1: listen: unknown address family '-5' (use -4 or -6)");
  EXPECT_EQ(error_of("listen a 1 2"), "test.conf:1: listen: too many arguments");
  EXPECT_EQ(error_of("listen -4 ::1 9999"), "test.conf:1: listen: '::1' is not an IPv4 address");
  EXPECT_EQ(error_of("listen -6 10.0.0.1 9999"),
            "test.conf:1: listen: '10.0.0.1' is not an IPv6 address");
  EXPECT_EQ(error_of("listen 70000"),
            "test.conf:1: listen: port '70000' is out of range (1 to 65535)");
  EXPECT_EQ(error_of("listen 0"), "test.conf:1: listen: port '0' is out of range (1 to 65535)");
  EXPECT_EQ(error_of("listen host/x 80"),
            "test.conf:1: listen: 'host/x' is not a host name or address");
  EXPECT_EQ(error_of("listen localhost no:port"),
            "test.conf:1: listen: 'no:port' is not a port number or service name");
}

TEST(ConfigValues, ConnectAndBroadcastAddresses) {
  EXPECT_EQ(parse("connect jukebox 9999").connect, (NetAddress{AF_UNSPEC, "jukebox", "9999"}));
  EXPECT_EQ(parse("connect -4 jukebox 9999").connect, (NetAddress{AF_INET, "jukebox", "9999"}));
  EXPECT_EQ(error_of("connect jukebox"), "test.conf:1: connect: missing port");
  EXPECT_EQ(error_of("connect"), "test.conf:1: connect: missing host and port");
  EXPECT_EQ(error_of("connect -6 1.2.3.4 80"),
            "test.conf:1: connect: '1.2.3.4' is not an IPv6 address");
  EXPECT_EQ(error_of("connect * 9999"), "test.conf:1: connect: '*' is not a host name or address");

  EXPECT_EQ(parse("broadcast 224.0.0.1 9003").broadcast,
            (NetAddress{AF_UNSPEC, "224.0.0.1", "9003"}));
  EXPECT_EQ(parse("broadcast -6 ff02::1 9003").broadcast,
            (NetAddress{AF_INET6, "ff02::1", "9003"}));
  EXPECT_EQ(error_of("broadcast 224.0.0.1"), "test.conf:1: broadcast: missing port");
  EXPECT_EQ(error_of("broadcast 224.0.0.1 0"),
            "test.conf:1: broadcast: port '0' is out of range (1 to 65535)");
  EXPECT_EQ(parse("broadcast_from 192.168.1.2 0").broadcast_from,
            (NetAddress{AF_UNSPEC, "192.168.1.2", "0"}));
  EXPECT_EQ(error_of("broadcast_from 9003"), "test.conf:1: broadcast_from: missing port");
}

TEST(ConfigValues, ClientConnectionLimits) {
  EXPECT_EQ(Config{}.max_connections, 1024);
  EXPECT_EQ(Config{}.login_timeout, std::chrono::seconds(30));
  EXPECT_EQ(Config{}.command_timeout, std::chrono::seconds(60));
  Config c = parse("max_connections 5\nlogin_timeout 2\ncommand_timeout 3\n");
  EXPECT_EQ(c.max_connections, 5);
  EXPECT_EQ(c.login_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.command_timeout, std::chrono::seconds(3));
  EXPECT_EQ(error_of("max_connections 0"),
            "test.conf:1: max_connections: '0' is too small (the minimum is 1)");
  EXPECT_EQ(error_of("login_timeout 0"),
            "test.conf:1: login_timeout: '0' is too small (the minimum is 1)");
}

// DisOrder's playlist items: a lock lasts 10 s, and a playlist may be as
// long as an int allows.
TEST(ConfigValues, PlaylistLimits) {
  EXPECT_EQ(Config{}.playlist_lock_timeout, std::chrono::seconds(0));
  EXPECT_EQ(Config{}.playlist_max, 2147483647);
  Config c = parse("playlist_lock_timeout 2\nplaylist_max 3\n");
  EXPECT_EQ(c.playlist_lock_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.playlist_max, 3);
  EXPECT_EQ(error_of("playlist_lock_timeout -1"),
            "test.conf:1: playlist_lock_timeout: '-1' is too small (the minimum is 0)");
  EXPECT_EQ(error_of("playlist_max 0"),
            "test.conf:1: playlist_max: '0' is too small (the minimum is 1)");
  EXPECT_EQ(error_of("playlist_max many"), "test.conf:1: playlist_max: 'many' is not an integer");
}

TEST(ConfigValues, RtpRequestAddressAndPayload) {
  EXPECT_EQ(parse("rtp_request_address - 0").rtp_request_address, (NetAddress{AF_UNSPEC, "", "0"}));
  EXPECT_EQ(parse("rtp_request_address -4 0").rtp_request_address, (NetAddress{AF_INET, "", "0"}));
  EXPECT_EQ(parse("rtp_request_address 192.168.1.5 6000").rtp_request_address,
            (NetAddress{AF_UNSPEC, "192.168.1.5", "6000"}));
  EXPECT_EQ(error_of("rtp_request_address"), "test.conf:1: rtp_request_address: missing port");

  // rtp_request_allow: lines add entries, the name alone clears them.
  EXPECT_TRUE(Config{}.rtp_request_allow.empty());
  Config allow = parse("rtp_request_allow 192.168.1.0/24 2001:db8::/32\n"
                       "rtp_request_allow 10.0.0.1\n");
  ASSERT_EQ(allow.rtp_request_allow.size(), 3u);
  EXPECT_EQ(allow.rtp_request_allow[0].text, "192.168.1.0/24");
  EXPECT_TRUE(allow.rtp_request_allow[0].contains(*parse_ip_address("192.168.1.77")));
  EXPECT_TRUE(allow.rtp_request_allow[2].contains(*parse_ip_address("10.0.0.1")));
  EXPECT_FALSE(allow.rtp_request_allow[2].contains(*parse_ip_address("10.0.0.2")));
  EXPECT_TRUE(parse("rtp_request_allow any\nrtp_request_allow").rtp_request_allow.empty());
  EXPECT_EQ(error_of("rtp_request_allow 10.0.0.0/8 example.com"),
            "test.conf:1: rtp_request_allow: 'example.com' is not an address, an ADDRESS/LENGTH"
            " network or any");
  EXPECT_EQ(error_of("rtp_request_allow 10.0.0.0/40"),
            "test.conf:1: rtp_request_allow: '10.0.0.0/40' is not an address, an ADDRESS/LENGTH"
            " network or any");

  EXPECT_EQ(Config{}.rtp_latency, std::chrono::milliseconds(100));
  EXPECT_EQ(parse("rtp_latency 40").rtp_latency, std::chrono::milliseconds(40));
  EXPECT_EQ(error_of("rtp_latency 9"),
            "test.conf:1: rtp_latency: '9' is too small (the minimum is 10)");
  EXPECT_EQ(error_of("rtp_latency 10001"),
            "test.conf:1: rtp_latency: '10001' is too large (the maximum is 10000)");
  EXPECT_FALSE(Config{}.rtp_max_payload.has_value());
  EXPECT_EQ(parse("rtp_max_payload 1200").rtp_max_payload, 1200);
  EXPECT_EQ(error_of("rtp_max_payload 12"),
            "test.conf:1: rtp_max_payload: '12' is too small (the minimum is 13)");
  EXPECT_EQ(parse("rtp_maxbuffer 88200\nrtp_minbuffer 4410").rtp_maxbuffer, 88200);
  EXPECT_EQ(parse("rtp_maxbuffer 88200\nrtp_minbuffer 4410").rtp_minbuffer, 4410);
}

// ------------------------------------------------------------------- lists

TEST(ConfigLists, PlayersAccumulateAndClear) {
  Config c = parse("player *.mp3 execraw disorder-decode\n"
                   "player *.ogg exec ogg123 -q\n"
                   "player *.wav shell /bin/bash \"aplay $TRACK\"\n"
                   "player *.x exec -- -dash-command\n");
  ASSERT_EQ(c.player.size(), 4u);
  EXPECT_EQ(c.player[0], (Player{"*.mp3", "execraw", {"disorder-decode"}}));
  EXPECT_EQ(c.player[1], (Player{"*.ogg", "exec", {"ogg123", "-q"}}));
  EXPECT_EQ(c.player[2], (Player{"*.wav", "shell", {"/bin/bash", "aplay $TRACK"}}));
  EXPECT_EQ(c.player[3], (Player{"*.x", "exec", {"-dash-command"}}));

  c = parse("player *.mp3 execraw disorder-decode\nplayer\nplayer *.flac shell \"flac -d\"");
  ASSERT_EQ(c.player.size(), 1u);
  EXPECT_EQ(c.player[0], (Player{"*.flac", "shell", {"flac -d"}}));

  EXPECT_EQ(error_of("player *.mp3"), "test.conf:1: player: missing module");
  EXPECT_EQ(error_of("player *.mp3 exec"), "test.conf:1: player: exec needs a command");
  EXPECT_EQ(error_of("player *.mp3 execraw --"), "test.conf:1: player: execraw needs a command");
  EXPECT_EQ(error_of("player *.mp3 shell"), "test.conf:1: player: shell needs a command");
  EXPECT_EQ(error_of("player *.mp3 shell sh -c x"),
            "test.conf:1: player: shell takes a command and optionally a shell before it");
  EXPECT_EQ(error_of("player *.mp3 exec -v mpg123"), "test.conf:1: player: unknown option '-v'");
  EXPECT_EQ(error_of("player *.mp3 mpg123 -q"),
            "test.conf:1: player: unknown player module 'mpg123' (use exec, execraw or shell)");
}

TEST(ConfigLists, TrackLength) {
  Config c =
      parse("tracklength *.mp3 disorder-tracklength\ntracklength *.ogg disorder-tracklength");
  ASSERT_EQ(c.tracklength.size(), 2u);
  EXPECT_EQ(c.tracklength[1], (TrackLength{"*.ogg", "disorder-tracklength"}));
  EXPECT_TRUE(parse("tracklength *.mp3 x\ntracklength").tracklength.empty());
  EXPECT_EQ(error_of("tracklength *.mp3"), "test.conf:1: tracklength: missing module");
  EXPECT_EQ(error_of("tracklength *.mp3 a b"), "test.conf:1: tracklength: too many arguments");
}

TEST(ConfigLists, Collections) {
  Config c = parse("collection /music\n"
                   "collection fs /more/music/\n"
                   "collection fs iso-8859-1 /old\n"
                   "collection fs UTF-8 /\n");
  ASSERT_EQ(c.collection.size(), 4u);
  EXPECT_EQ(c.collection[0], (Collection{"fs", "", "/music"}));
  EXPECT_EQ(c.collection[1], (Collection{"fs", "", "/more/music"})); // trailing '/' dropped
  EXPECT_EQ(c.collection[2], (Collection{"fs", "iso-8859-1", "/old"}));
  EXPECT_EQ(c.collection[3], (Collection{"fs", "UTF-8", "/"}));
  EXPECT_TRUE(parse("collection /music\ncollection").collection.empty());
  EXPECT_EQ(error_of("collection music"),
            "test.conf:1: collection: root 'music' is not an absolute path");
  EXPECT_EQ(error_of("collection fs no-such-encoding-x /music"),
            "test.conf:1: collection: unknown encoding 'no-such-encoding-x'");
  EXPECT_EQ(error_of("collection fs utf-8 /a /b"), "test.conf:1: collection: too many arguments");
}

TEST(ConfigLists, ScratchesAndPlugins) {
  Config c = parse("scratch /s/one.ogg\nscratch \"/s/two words.ogg\"");
  EXPECT_EQ(c.scratch, (std::vector<std::string>{"/s/one.ogg", "/s/two words.ogg"}));
  EXPECT_TRUE(parse("scratch /a\nscratch\n").scratch.empty());
  EXPECT_EQ(parse("scratch /s/caf\xc3\xa9.ogg").scratch[0], "/s/caf\xc3\xa9.ogg");
  EXPECT_EQ(error_of("scratch /s/caf\xe9.ogg"), "test.conf:1: scratch: path is not valid UTF-8");
  EXPECT_EQ(error_of("scratch /a /b"), "test.conf:1: scratch: too many arguments");

  c = parse("plugins /usr/lib/disorder\nplugins /opt/disorder");
  EXPECT_EQ(c.plugins, (std::vector<std::string>{"/usr/lib/disorder", "/opt/disorder"}));
  EXPECT_TRUE(parse("plugins /x\nplugins").plugins.empty());
}

TEST(ConfigLists, StopwordsAugmentTheBuiltInSet) {
  const auto builtin = default_stopwords();
  ASSERT_FALSE(builtin.empty());
  EXPECT_NE(std::find(builtin.begin(), builtin.end(), "the"), builtin.end());
  EXPECT_EQ(Config{}.stopword, builtin);

  Config c = parse("stopword live remastered\nstopword demo");
  auto expected = builtin;
  expected.insert(expected.end(), {"live", "remastered", "demo"});
  EXPECT_EQ(c.stopword, expected);

  c = parse("stopword live\nstopword\nstopword only these");
  EXPECT_EQ(c.stopword, (std::vector<std::string>{"only", "these"}));
  EXPECT_TRUE(parse("stopword").stopword.empty());
  EXPECT_EQ(error_of("stopword a \"\""), "test.conf:1: stopword: empty stopword");
}

TEST(ConfigLists, NamepartDefaultsAndReplacement) {
  Config d;
  ASSERT_EQ(d.namepart.size(), 5u);
  EXPECT_TRUE(d.namepart_is_default);
  EXPECT_EQ(d.namepart[0], (NamePart{"title", R"(/([0-9]+ *[-:]? *)?([^/]+)\.[a-zA-Z0-9]+$)", "$2",
                                     "display", ""}));
  EXPECT_EQ(d.namepart[1], (NamePart{"title", R"(/([^/]+)\.[a-zA-Z0-9]+$)", "$1", "sort", ""}));
  EXPECT_EQ(d.namepart[2], (NamePart{"album", R"(/([^/]+)/[^/]+$)", "$1", "*", ""}));
  EXPECT_EQ(d.namepart[3], (NamePart{"artist", R"(/([^/]+)/[^/]+/[^/]+$)", "$1", "*", ""}));
  EXPECT_EQ(d.namepart[4], (NamePart{"ext", R"((\.[a-zA-Z0-9]+)$)", "$1", "*", ""}));

  // The first line replaces the defaults; later lines (and files) accumulate.
  Config c = parse("namepart artist \"^/([^/]+)\" $1\n"
                   "namepart title \"/([^/]+)$\" $1 display i\n"
                   "namepart album \"x\" \"\" sort\n");
  ASSERT_EQ(c.namepart.size(), 3u);
  EXPECT_FALSE(c.namepart_is_default);
  EXPECT_EQ(c.namepart[0], (NamePart{"artist", "^/([^/]+)", "$1", "*", ""}));
  EXPECT_EQ(c.namepart[1], (NamePart{"title", "/([^/]+)$", "$1", "display", "i"}));
  EXPECT_EQ(c.namepart[2], (NamePart{"album", "x", "", "sort", ""}));
  apply_config_text(c, "namepart ext \"(\\\\.[a-z]+)$\" $1 * gi", "second.conf");
  ASSERT_EQ(c.namepart.size(), 4u);
  EXPECT_EQ(c.namepart[3], (NamePart{"ext", R"((\.[a-z]+)$)", "$1", "*", "gi"}));

  // Given with no arguments, the list is emptied (and stays empty).
  EXPECT_TRUE(parse("namepart").namepart.empty());
  EXPECT_EQ(parse("namepart\nnamepart a b c").namepart.size(), 1u);

  EXPECT_EQ(error_of("namepart title"), "test.conf:1: namepart: missing regexp and substitution");
  EXPECT_EQ(error_of("namepart title x"), "test.conf:1: namepart: missing substitution");
  EXPECT_EQ(error_of("namepart title x $1 * i extra"), "test.conf:1: namepart: too many arguments");
  EXPECT_EQ(error_of("namepart title x $1 * ix"),
            "test.conf:1: namepart: unknown regexp flag 'x' (use i or g)");
}

TEST(ConfigLists, TransformDefaultsAndReplacement) {
  Config d;
  ASSERT_EQ(d.transform.size(), 5u);
  EXPECT_EQ(d.transform[0], (Transform{"track", R"(^.*/([0-9]+ *[-:]? *)?([^/]+)\.[a-zA-Z0-9]+$)",
                                       "$2", "display", ""}));
  EXPECT_EQ(d.transform[1],
            (Transform{"track", R"(^.*/([^/]+)\.[a-zA-Z0-9]+$)", "$1", "sort", ""}));
  EXPECT_EQ(d.transform[2], (Transform{"dir", R"(^.*/([^/]+)$)", "$1", "*", ""}));
  EXPECT_EQ(d.transform[3], (Transform{"dir", "^(the) ([^/]*)", "$2 $1", "sort", "i"}));
  EXPECT_EQ(d.transform[4], (Transform{"dir", "[[:punct:]]", "", "sort", "g"}));

  Config c = parse("transform dir \"^a\" b\ntransform track \"x\" y display g");
  ASSERT_EQ(c.transform.size(), 2u);
  EXPECT_EQ(c.transform[0], (Transform{"dir", "^a", "b", "*", ""}));
  EXPECT_EQ(c.transform[1], (Transform{"track", "x", "y", "display", "g"}));
  EXPECT_EQ(c.namepart, default_nameparts()); // one list does not disturb the other
  EXPECT_TRUE(parse("transform").transform.empty());
  EXPECT_EQ(error_of("transform dir x"), "test.conf:1: transform: missing substitution");
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, MatchTheManPage) {
  Config c;
  EXPECT_EQ(c.home, PKGSTATEDIR);
  EXPECT_EQ(c.socket_path(), std::string(PKGSTATEDIR) + "/socket");
  EXPECT_EQ(c.private_socket_path(), std::string(PKGSTATEDIR) + "/private/socket");
  EXPECT_EQ(c.alias, "{/artist}{/album}{/title}{ext}");
  EXPECT_EQ(c.authorization_algorithm, "sha1");
  EXPECT_EQ(c.default_rights, right::default_set);
  EXPECT_TRUE(c.default_rights & right::read);
  EXPECT_TRUE(c.default_rights & right::play);
  EXPECT_TRUE(c.default_rights & right::pause);
  EXPECT_FALSE(c.default_rights & right::admin);
  EXPECT_FALSE(c.default_rights & right::register_);
  EXPECT_EQ(c.cookie_key_lifetime, std::chrono::seconds(std::chrono::weeks(1)));
  EXPECT_EQ(c.cookie_login_lifetime, std::chrono::seconds(std::chrono::days(1)));
  EXPECT_EQ(c.device, "default");
  EXPECT_EQ(c.queue_pad, 10);
  EXPECT_EQ(c.history, 60);
  EXPECT_TRUE(c.mount_rescan);
  EXPECT_TRUE(c.multicast_loop);
  EXPECT_EQ(c.multicast_ttl, 1);
  EXPECT_EQ(c.new_bias, 450000);
  EXPECT_EQ(c.new_bias_age, std::chrono::seconds(std::chrono::weeks(1)));
  EXPECT_EQ(c.new_max, 100);
  EXPECT_EQ(c.nice_rescan, 10);
  EXPECT_EQ(c.nice_server, 0);
  EXPECT_EQ(c.nice_speaker, 0);
  EXPECT_EQ(c.noticed_history, std::chrono::days(31));
  EXPECT_EQ(c.pause_mode, PauseMode::silence);
  EXPECT_EQ(c.reminder_interval, 600s);
  EXPECT_FALSE(c.remote_userman);
  EXPECT_EQ(c.replay_min, 8h);
  EXPECT_FALSE(c.rtp_always_request);
  EXPECT_EQ(c.rtp_maxbuffer, 0);
  EXPECT_EQ(c.rtp_minbuffer, 0);
  EXPECT_EQ(c.rtp_rcvbuf, 0);
  EXPECT_EQ(c.rtp_mode, RtpMode::automatic);
  EXPECT_EQ(c.rtp_mtu_discovery, MtuDiscovery::system_default);
  EXPECT_EQ(c.rtp_request_address, (NetAddress{AF_UNSPEC, "", "0"}));
  EXPECT_EQ(c.sample_format, (SampleFormat{16, 44100, 2, std::endian::native}));
  EXPECT_EQ(c.signal, SIGKILL);
  EXPECT_EQ(c.refresh, 15s);
  EXPECT_EQ(c.refresh_min, 1s);
  EXPECT_EQ(c.short_display, 30);
  EXPECT_EQ(c.smtp_server, "127.0.0.1");
  EXPECT_FALSE(c.listen.has_value());
  EXPECT_FALSE(c.connect.has_value());
  EXPECT_FALSE(c.broadcast.has_value());
  EXPECT_TRUE(c.player.empty());
  EXPECT_TRUE(c.collection.empty());
  EXPECT_TRUE(c.scratch.empty());
}

TEST(ConfigDefaults, EffectiveApiChannelMixerAndFormat) {
  EXPECT_EQ(Config{}.effective_api(), "alsa");
  EXPECT_EQ(Config{}.effective_channel(), "PCM");
  EXPECT_EQ(Config{}.effective_mixer(), "0");
  EXPECT_EQ(parse("speaker_command \"cat >/dev/null\"").effective_api(), "command");
  Config rtp = parse("broadcast 224.0.0.1 9003\nsample_format 8/8000/1");
  EXPECT_EQ(rtp.effective_api(), "rtp");
  EXPECT_EQ(rtp.effective_sample_format(), (SampleFormat{16, 44100, 2, std::endian::big}));
  EXPECT_EQ(parse("broadcast 224.0.0.1 9003\napi alsa").effective_api(), "alsa");
  Config oss = parse("api oss");
  EXPECT_EQ(oss.effective_channel(), "pcm");
  EXPECT_EQ(oss.effective_mixer(), "/dev/mixer");
  EXPECT_EQ(parse("api oss\nchannel vol\nmixer /dev/mixer2").effective_channel(), "vol");
  EXPECT_EQ(parse("api alsa\nsample_format 24/48000/2").effective_sample_format(),
            (SampleFormat{24, 48000, 2, std::endian::native}));
}

// --------------------------------------------------------------- the table

TEST(ConfigTable, NamesAreUniqueAndFindable) {
  std::set<std::string_view> names;
  for (const auto& item : config_items()) {
    EXPECT_TRUE(names.insert(item.name).second) << item.name;
    EXPECT_EQ(find_config_item(item.name), &item);
    ASSERT_NE(item.apply, nullptr) << item.name;
  }
  EXPECT_EQ(find_config_item("no_such_item"), nullptr);
  // Every item the DisOrder 5.2 page lists, and our aliases.
  for (std::string_view name : {"home",
                                "plugins",
                                "alias",
                                "api",
                                "authorization_algorithm",
                                "broadcast",
                                "broadcast_from",
                                "channel",
                                "collection",
                                "cookie_key_lifetime",
                                "cookie_login_lifetime",
                                "default_rights",
                                "device",
                                "history",
                                "listen",
                                "mixer",
                                "mount_rescan",
                                "multicast_loop",
                                "multicast_ttl",
                                "namepart",
                                "new_bias",
                                "new_bias_age",
                                "new_max",
                                "nice_rescan",
                                "nice_server",
                                "nice_speaker",
                                "noticed_history",
                                "pause_mode",
                                "player",
                                "queue_pad",
                                "reminder_interval",
                                "remote_userman",
                                "replay_min",
                                "rtp_always_request",
                                "rtp_latency",
                                "rtp_maxbuffer",
                                "rtp_max_payload",
                                "rtp_minbuffer",
                                "rtp_mode",
                                "rtp_mtu_discovery",
                                "rtp_rcvbuf",
                                "rtp_request_address",
                                "rtp_request_allow",
                                "sample_format",
                                "signal",
                                "sox_generation",
                                "speaker_backend",
                                "speaker_command",
                                "scratch",
                                "stopword",
                                "tracklength",
                                "user",
                                "connect",
                                "password",
                                "username",
                                "mail_sender",
                                "refresh",
                                "refresh_min",
                                "sendmail",
                                "short_display",
                                "smtp_server",
                                "transform",
                                "url",
                                "web_listen",
                                "web_proxy",
                                "web_static",
                                "web_stream_listeners",
                                "web_stream_login",
                                "web_icecast"})
    EXPECT_NE(find_config_item(name), nullptr) << name;
  // DisOrder's items that its page leaves out, and rtp_timestamps.
  for (std::string_view name :
       {"checkpoint_kbyte", "checkpoint_min", "dbversion", "nice", "rtp_delay_threshold",
        "rtp_instance_name", "rtp_verbose", "templates", "rtp_timestamps"})
    EXPECT_NE(find_config_item(name), nullptr) << name;
  // The Opus stream and duplicate packets.
  for (std::string_view name :
       {"rtp_encoding", "rtp_opus_bitrate", "rtp_opus_frame", "rtp_opus_payload_type",
        "rtp_opus_loss", "rtp_duplicate_delay", "rtp_duplicate_to"})
    EXPECT_NE(find_config_item(name), nullptr) << name;
  EXPECT_EQ(names.size(), 90u);
}

// The table's documented default, written as a file would write it, must
// parse to the default a Config is constructed with.
TEST(ConfigTable, DocumentedDefaultsAreTheRealOnes) {
  int checked = 0;
  for (const auto& item : config_items()) {
    if (item.default_text.starts_with("(")) continue;
    Config c;
    apply_config_text(c, std::string(item.name) + " " + std::string(item.default_text), "defaults");
    EXPECT_EQ(c, Config{}) << item.name << " " << item.default_text;
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

TEST(ConfigTable, FormatRoundTrips) {
  EXPECT_EQ(parse(format_config(Config{})), Config{});

  const char* text = "home /srv/j\n"
                     "plugins /p1\nplugins /p2\n"
                     "alias {artist}/{title}{ext}\n"
                     "api network\n"
                     "authorization_algorithm sha384\n"
                     "broadcast -4 239.1.2.3 9003\n"
                     "broadcast_from 10.0.0.1 0\n"
                     "channel Master\n"
                     "collection fs iso-8859-1 /music\ncollection /other\n"
                     "cookie_key_lifetime 99\ncookie_login_lifetime 98\n"
                     "default_rights read,admin\n"
                     "device hw:0\nhistory 5\n"
                     "listen -6 ::1 9999\n"
                     "mixer 3\nmount_rescan no\nmulticast_loop no\nmulticast_ttl 9\n"
                     "namepart\n"
                     "new_bias 7\nnew_bias_age 8\nnew_max 9\nnice_rescan 1\nnice_server -2\n"
                     "nice_speaker -3\nnoticed_history 4\npause_mode suspend\n"
                     "player *.mp3 execraw disorder-decode\nplayer *.x exec -- -y z\n"
                     "player *.wav shell \"aplay \\\"$TRACK\\\"\"\n"
                     "queue_pad 0\nreminder_interval 1\nremote_userman yes\nreplay_min 2\n"
                     "rtp_always_request yes\nrtp_latency 250\n"
                     "rtp_duplicate_delay 10 40\nrtp_duplicate_to 239.1.2.4 9005\n"
                     "rtp_encoding opus\nrtp_opus_bitrate 64000\nrtp_opus_frame 2.5\n"
                     "rtp_opus_loss 10\nrtp_opus_payload_type 111\n"
                     "rtp_max_payload 1000\nrtp_maxbuffer 3\n"
                     "rtp_minbuffer 2\nrtp_mode request\nrtp_mtu_discovery no\nrtp_rcvbuf 1\n"
                     "rtp_request_address -4 - 0\n"
                     "rtp_request_allow 10.0.0.0/8 any\nrtp_request_allow ::1\n"
                     "sample_format 16b/48000/1\n"
                     "scratch \"/s/a b.ogg\"\n"
                     "signal SIGTERM\nsox_generation 0\n"
                     "speaker_command \"sox -q - -d # not a comment\"\n"
                     "stopword\nstopword x\n"
                     "tracklength *.mp3 builtin\n"
                     "user jukebox\n"
                     "connect host.example 9999\npassword \"p w'd\"\nusername fred\n"
                     "mail_sender a@b\nrefresh 20\nrefresh_min 2\nsendmail /sbin/sendmail\n"
                     "short_display 10\nsmtp_server mx\n"
                     "transform dir x \"\" sort g\n"
                     "url https://j/\n"
                     "web_listen -4 127.0.0.1 8081\nweb_proxy 127.0.0.1 ::1\n"
                     "web_static /srv/page\n"
                     "web_stream_listeners 5\nweb_stream_login radio \"r pw\"\n"
                     "web_icecast ice.example 8000 /jukebox source hackme opus\n";
  Config c = parse(text);
  EXPECT_EQ(c.api, "rtp");
  EXPECT_TRUE(c.namepart.empty());
  EXPECT_EQ(c.stopword, (std::vector<std::string>{"x"}));
  std::string formatted = format_config(c);
  Config back = parse(formatted);
  EXPECT_EQ(back, c) << formatted;
  // Every item but the alias appears in the output.
  for (const auto& item : config_items()) {
    if (item.format == nullptr) continue;
    EXPECT_NE(("\n" + formatted)
                  .find("\n" + std::string(item.name) + (item.name == "namepart" ? "\n" : " ")),
              std::string::npos)
        << item.name;
  }
}

// doc/disorder_config.5 documents every item, and nothing that is not one.
TEST(ConfigTable, ManPageDocumentsEveryItem) {
  const char* srcdir = std::getenv("DISORDER_SRCDIR");
  if (srcdir == nullptr) GTEST_SKIP() << "DISORDER_SRCDIR is not set (run through make check)";
  std::ifstream in(std::string(srcdir) + "/doc/disorder_config.5");
  ASSERT_TRUE(in) << "cannot open doc/disorder_config.5";
  // Items are ".TP" then ".B name ..." in the OPTIONS section, outside any
  // .RS/.RE block (those list an item's values).
  std::set<std::string> documented;
  std::string line, previous;
  bool in_options = false;
  int depth = 0;
  while (std::getline(in, line)) {
    if (line.starts_with(".SH")) in_options = line == ".SH OPTIONS";
    if (line.starts_with(".RS")) ++depth;
    if (line.starts_with(".RE")) --depth;
    if (in_options && depth == 0 && previous == ".TP" && line.starts_with(".B ")) {
      std::istringstream words(line.substr(3));
      std::string name;
      words >> name;
      documented.insert(name);
    }
    previous = line;
  }
  std::set<std::string> items;
  for (const auto& item : config_items())
    items.insert(std::string(item.name));
  EXPECT_EQ(documented, items);
}

// ------------------------------------------------------------------- files

TEST(ConfigFiles, ServerReadsSystemThenPrivate) {
  TempDir dir;
  ConfigPaths paths;
  paths.system = dir.write("config", "queue_pad 5\nhistory 9\nplayer *.a exec a\n", 0644);
  paths.priv = dir.write("config.private", "queue_pad 6\nplayer *.b exec b\n", 0640);
  Config c = load_server_config(paths);
  EXPECT_EQ(c.queue_pad, 6); // private overrides
  EXPECT_EQ(c.history, 9);
  ASSERT_EQ(c.player.size(), 2u); // lists accumulate across files
  EXPECT_EQ(c.player[1].pattern, "*.b");

  // The private file is optional; the system one is not.
  ::unlink(paths.priv.c_str());
  EXPECT_EQ(load_server_config(paths).queue_pad, 5);
  ::unlink(paths.system.c_str());
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const SystemError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open " + paths.system + ": No such file or directory");
    EXPECT_EQ(e.code(), ENOENT);
  }
}

// include FILE, as DisOrder's Debian package writes it: the file's lines
// apply at that point; a relative name is taken from the including file's
// directory.
TEST(ConfigFiles, IncludeAppliesAnotherFileThere) {
  TempDir dir;
  const std::string debconf =
      dir.write("conf.debconf", "collection fs UTF-8 /srv/music\nlisten 0.0.0.0 9999\n", 0644);
  dir.write("nested", "include conf.debconf\nhistory 7\n", 0644);
  ConfigPaths paths;
  paths.system =
      dir.write("config", "history 3\nuser jukebox\ninclude " + debconf + "\nqueue_pad 4\n", 0644);
  Config c = load_server_config(paths);
  ASSERT_EQ(c.collection.size(), 1u);
  EXPECT_EQ(c.collection[0].root, "/srv/music");
  EXPECT_EQ(c.listen->service, "9999");
  EXPECT_EQ(c.queue_pad, 4);
  EXPECT_EQ(c.user, "jukebox");

  paths.system = dir.write("config", "history 3\ninclude nested\n", 0644);
  c = load_server_config(paths);
  EXPECT_EQ(c.history, 7); // after the include, so it wins
  EXPECT_EQ(c.collection.size(), 1u);

  // Errors name the file and line that has them.
  dir.write("bad", "queue_pad -1\n", 0644);
  paths.system = dir.write("config", "include bad\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.path() + "/bad:1: queue_pad: '-1' is too small (the minimum is 0)");
  }
  paths.system = dir.write("config", "\ninclude missing\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), paths.system + ":2: include: cannot open " + dir.path() +
                                         "/missing: No such file or directory");
  }
  paths.system = dir.write("config", "include config\n", 0644);
  EXPECT_THROW(load_server_config(paths), ConfigError); // a loop ends
  EXPECT_EQ(error_of("include x y"), "test.conf:1: include takes one file name");
  EXPECT_EQ(error_of("include /etc/passwd"),
            "test.conf:1: include is only allowed in a configuration file");
}

// disorderd --check-config: every bad line of every file, not just the
// first, and what the good lines set.
TEST(ConfigFiles, CheckListsEveryProblem) {
  TempDir dir;
  dir.write("more", "history -2\nqueue_pad 7\n", 0644);
  ConfigPaths paths;
  paths.system = dir.write("config", "qeue_pad 3\ninclude more\ninclude gone\nhistory 4\n", 0644);
  paths.priv = dir.write("config.private", "\nqueue_pad -1\n", 0600);
  ConfigCheck check = check_server_config_files(paths);
  EXPECT_EQ(check.errors, (std::vector<std::string>{
                              paths.system + ":1: unknown configuration item 'qeue_pad'",
                              dir.path() + "/more:1: history: '-2' is too small (the minimum is 1)",
                              paths.system + ":3: include: cannot open " + dir.path() +
                                  "/gone: No such file or directory",
                              paths.priv + ":2: queue_pad: '-1' is too small (the minimum is 0)",
                          }));
  EXPECT_EQ(check.config.queue_pad, 7);
  EXPECT_EQ(check.config.history, 4);

  // The checks of the whole, once the lines are good; and a missing file.
  paths.system = dir.write("config", "api command\n", 0644);
  ::unlink(paths.priv.c_str());
  check = check_server_config_files(paths);
  EXPECT_EQ(check.errors,
            (std::vector<std::string>{paths.system + ": api command needs a speaker_command"}));
  paths.system = dir.write("config", "queue_pad 2\n", 0644);
  check = check_server_config_files(paths);
  EXPECT_TRUE(check.errors.empty());
  EXPECT_EQ(check.config, load_server_config(paths));
  paths.system = dir.path() + "/absent";
  check = check_server_config_files(paths);
  EXPECT_EQ(check.errors, (std::vector<std::string>{"cannot open " + paths.system +
                                                    ": No such file or directory"}));
}

TEST(ConfigFiles, ErrorsNameTheFileThatHasThem) {
  TempDir dir;
  ConfigPaths paths;
  paths.system = dir.write("config", "queue_pad 5\n", 0644);
  paths.priv = dir.write("config.private", "# fine\nlisten -4\n", 0600);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), paths.priv + ":2: listen: missing port");
  }
}

TEST(ConfigFiles, ServerChecksItemsThatGoTogether) {
  TempDir dir;
  ConfigPaths paths;
  paths.priv = dir.file("absent");
  paths.system = dir.write("config", "api command\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), paths.system + ": api command needs a speaker_command");
  }
  paths.system = dir.write("config", "api rtp\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              paths.system + ": api rtp needs a broadcast address (or rtp_mode request)");
  }
  paths.system = dir.write("config", "api rtp\nrtp_mode request\n", 0644);
  EXPECT_EQ(load_server_config(paths).effective_api(), "rtp");
  paths.system = dir.write("config", "broadcast 239.0.0.1 9003\n", 0644);
  EXPECT_EQ(load_server_config(paths).effective_api(), "rtp");
}

TEST(ConfigFiles, ClientPrecedence) {
  TempDir dir;
  ConfigPaths paths;
  paths.login = "fred";
  paths.system = dir.write("config",
                           "connect sys 1\npassword sys\nusername sysuser\nqueue_pad 1\n"
                           "history 1\nrefresh 1\n",
                           0644);
  paths.priv = dir.write("config.private", "password priv\nqueue_pad 2\nhistory 2\n", 0600);
  paths.user = dir.write("passwd", "password user\nhistory 3\n", 0600);
  paths.user_sys = dir.write("config.fred", "password usersys\n", 0600);
  Config c = load_client_config(paths);
  EXPECT_EQ(c.connect, (NetAddress{AF_UNSPEC, "sys", "1"}));
  EXPECT_EQ(c.username, "sysuser");
  EXPECT_EQ(c.refresh, 1s);
  EXPECT_EQ(c.queue_pad, 2);
  EXPECT_EQ(c.history, 3);
  EXPECT_EQ(c.password, "usersys"); // config.USERNAME is read last

  // Each file is optional; the login name is the default username.
  ::unlink(paths.user_sys.c_str());
  EXPECT_EQ(load_client_config(paths).password, "user");
  ::unlink(paths.user.c_str());
  EXPECT_EQ(load_client_config(paths).password, "priv");
  ::unlink(paths.priv.c_str());
  EXPECT_EQ(load_client_config(paths).password, "sys");
  ::unlink(paths.system.c_str());
  Config none = load_client_config(paths);
  EXPECT_EQ(none.password, "");
  EXPECT_EQ(none.username, "fred");
  EXPECT_EQ(none.queue_pad, 10);
}

// Root reads any file, so as root the check runs in a child that has become
// "nobody"; the child reports through its exit status.
TEST(ConfigFiles, ClientSkipsAnUnreadablePrivateFile) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  ConfigPaths paths;
  paths.system = dir.write("config", "password sys\n", 0644);
  paths.priv = dir.write("config.private", "password priv\n", 0000);
  auto check = [&paths]() -> int {
    if (load_client_config(paths).password != "sys") return 2;
    try {
      load_server_config(paths); // the server must be able to read it
      return 3;
    } catch (const SystemError& e) {
      return e.code() == EACCES ? 0 : 4;
    }
  };
  if (::geteuid() != 0) {
    EXPECT_EQ(check(), 0);
    return;
  }
  struct passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "running as root and there is no user 'nobody'";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(1);
    int rc = 5;
    try {
      rc = check();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: could not become nobody, 2: private file not skipped, "
                                       "3/4: server did not fail with EACCES, 5: other exception";
}

TEST(ConfigFiles, PasswordFilesMustBePrivate) {
  TempDir dir;
  ConfigPaths paths;
  paths.system = dir.file("none");
  paths.priv = dir.file("none.private");
  for (mode_t mode : {0644, 0640, 0604}) {
    paths.user = dir.write("passwd", "password secret\n", mode);
    try {
      load_client_config(paths);
      FAIL() << "mode " << std::oct << mode << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()),
                paths.user +
                    ": refusing to read a password file that group or others can read "
                    "(chmod 600 " +
                    paths.user + ")");
    }
  }
  paths.user = dir.write("passwd", "password secret\n", 0600);
  EXPECT_EQ(load_client_config(paths).password, "secret");
  paths.user = dir.write("passwd", "password secret\n", 0400);
  EXPECT_EQ(load_client_config(paths).password, "secret");

  paths.user_sys = dir.write("config.fred", "password other\n", 0644);
  EXPECT_THROW(load_client_config(paths), ConfigError);
  paths.user_sys = dir.write("config.fred", "password other\n", 0600);
  EXPECT_EQ(load_client_config(paths).password, "other");
}

// ------------------------------------------------------------- environment

TEST(ConfigPathsTest, DefaultsWithoutEnvironment) {
  CleanEnvironment clean;
  ScopedEnv home("HOME", "/home/someone");
  ConfigPaths p = ConfigPaths::from_environment(std::nullopt, std::nullopt);
  const std::string login = login_name();
  ASSERT_FALSE(login.empty());
  EXPECT_EQ(p.login, login);
  EXPECT_EQ(p.system, PKGCONFDIR "/config");
  EXPECT_EQ(p.priv, PKGCONFDIR "/config.private");
  EXPECT_EQ(p.user, "/home/someone/.disorder/passwd");
  EXPECT_EQ(p.user_sys, PKGCONFDIR "/config." + login);
}

TEST(ConfigPathsTest, EnvironmentVariables) {
  CleanEnvironment clean;
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv config("DISORDER_CONFIG", "/e/config");
    ConfigPaths p = ConfigPaths::from_environment(std::nullopt, std::nullopt);
    EXPECT_EQ(p.system, "/e/config");
    EXPECT_EQ(p.priv, "/e/config.private");
    EXPECT_EQ(p.user_sys, "/e/config." + login_name());
    // An option beats the variable.
    p = ConfigPaths::from_environment("/o/config", std::nullopt);
    EXPECT_EQ(p.system, "/o/config");
    EXPECT_EQ(p.priv, "/o/config.private");
  }
  {
    ScopedEnv priv("DISORDER_PRIVCONFIG", "/e/private");
    ScopedEnv user_sys("DISORDER_USERCONFIG_SYS", "/e/usersys");
    ConfigPaths p = ConfigPaths::from_environment("/o/config", std::nullopt);
    EXPECT_EQ(p.priv, "/e/private");
    EXPECT_EQ(p.user_sys, "/e/usersys");
  }
  {
    ScopedEnv dhome("DISORDER_HOME", "/e/dhome");
    EXPECT_EQ(ConfigPaths::from_environment(std::nullopt, std::nullopt).user, "/e/dhome/passwd");
    ScopedEnv user("DISORDER_USERCONFIG", "/e/userconfig");
    EXPECT_EQ(ConfigPaths::from_environment(std::nullopt, std::nullopt).user, "/e/userconfig");
    EXPECT_EQ(ConfigPaths::from_environment(std::nullopt, "/o/passwd").user, "/o/passwd");
  }
  {
    // Set but empty counts as unset.
    ScopedEnv config("DISORDER_CONFIG", "");
    EXPECT_EQ(ConfigPaths::from_environment(std::nullopt, std::nullopt).system,
              PKGCONFDIR "/config");
  }
}

TEST(ConfigPathsTest, WorksEndToEndWithClientLoading) {
  CleanEnvironment clean;
  TempDir dir;
  dir.write("config", "connect jukebox 9999\n", 0644);
  dir.write("passwd", "password hunter2\n", 0600);
  ScopedEnv config("DISORDER_CONFIG", dir.file("config"));
  ScopedEnv dhome("DISORDER_HOME", dir.path());
  Config c = load_client_config(ConfigPaths::from_environment(std::nullopt, std::nullopt));
  EXPECT_EQ(c.connect, (NetAddress{AF_UNSPEC, "jukebox", "9999"}));
  EXPECT_EQ(c.password, "hunter2");
  EXPECT_EQ(c.username, login_name());
}

// ------------------------------------------------------------ reconfigure

// A DisOrder configuration file loads unchanged: its items that the page
// leaves out work (nice, rtp_delay_threshold, rtp_instance_name) or are
// accepted and named once each as ignored.
TEST(ConfigValues, DisOrderItems) {
  const char* text = "checkpoint_kbyte 64\n"
                     "checkpoint_min 5\n"
                     "dbversion 2\n"
                     "nice 7\n"
                     "rtp_delay_threshold 1000\n"
                     "rtp_instance_name kitchen\n"
                     "rtp_verbose 1\n"
                     "templates /usr/share/disorder/templates /etc/disorder/templates\n"
                     "templates\n"
                     "checkpoint_kbyte 128\n";
  Config c = parse(text);
  EXPECT_EQ(c.nice_rescan, 7); // nice is DisOrder's other name for nice_rescan
  EXPECT_EQ(c.rtp_delay_threshold, 1000);
  EXPECT_EQ(c.rtp_instance_name, "kitchen");
  EXPECT_EQ(ignored_item_notes(c),
            (std::vector<std::string>{
                "configuration item checkpoint_kbyte is ignored (DisOrder's Berkeley DB "
                "checkpoints; the database here is SQLite)",
                "configuration item checkpoint_min is ignored (DisOrder's Berkeley DB "
                "checkpoints; the database here is SQLite)",
                "configuration item dbversion is ignored (DisOrder's emulation of old database "
                "versions, for its own tests)",
                "configuration item rtp_verbose is ignored (DisOrder's once-a-minute RTP "
                "statistics in the log)",
                "configuration item templates is ignored (the templates of DisOrder's CGI, "
                "which this jukebox does not have)",
            }));
  EXPECT_TRUE(ignored_item_notes(Config{}).empty());
  // Written back as they came, so that the file survives a round trip.
  const std::string formatted = format_config(c);
  EXPECT_NE(formatted.find("\ntemplates /usr/share/disorder/templates /etc/disorder/templates\n"
                           "templates\n"),
            std::string::npos)
      << formatted;
  EXPECT_EQ(parse(formatted), c);

  EXPECT_EQ(error_of("nice x"), "test.conf:1: nice: 'x' is not an integer");
  EXPECT_EQ(error_of("rtp_delay_threshold 0"),
            "test.conf:1: rtp_delay_threshold: '0' is too small (the minimum is 1)");
}

TEST(ConfigValues, RtpTimestamps) {
  EXPECT_EQ(Config{}.rtp_timestamps, RtpTimestamps::frames);
  EXPECT_EQ(parse("rtp_timestamps samples").rtp_timestamps, RtpTimestamps::samples);
  EXPECT_EQ(parse("rtp_timestamps samples\nrtp_timestamps frames").rtp_timestamps,
            RtpTimestamps::frames);
  EXPECT_EQ(error_of("rtp_timestamps seconds"),
            "test.conf:1: rtp_timestamps: 'seconds' is not one of frames, samples");
  EXPECT_EQ(to_string(RtpTimestamps::samples), "samples");
}

TEST(ConfigValues, OpusAndDuplicates) {
  const Config defaults;
  EXPECT_EQ(defaults.rtp_encoding, RtpEncoding::l16);
  EXPECT_EQ(defaults.rtp_opus_bitrate, 96000);
  EXPECT_EQ(defaults.rtp_opus_frame_us, 20000);
  EXPECT_EQ(defaults.rtp_opus_payload_type, 96);
  EXPECT_EQ(defaults.rtp_opus_loss, 10);
  EXPECT_TRUE(defaults.rtp_duplicate_delay.empty());
  EXPECT_FALSE(defaults.rtp_duplicate_to);
  const Config c = parse("rtp_encoding opus\nrtp_opus_bitrate 6000\nrtp_opus_frame 2.5\n"
                         "rtp_opus_payload_type 127\nrtp_opus_loss 30\n"
                         "rtp_duplicate_delay 1000\nrtp_duplicate_to 239.1.2.4 9005");
  EXPECT_EQ(c.rtp_encoding, RtpEncoding::opus);
  EXPECT_EQ(c.rtp_opus_bitrate, 6000);
  EXPECT_EQ(c.rtp_opus_frame_us, 2500);
  EXPECT_EQ(c.rtp_opus_payload_type, 127);
  EXPECT_EQ(c.rtp_opus_loss, 30);
  EXPECT_EQ(c.rtp_duplicate_delay,
            std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(1000)});
  EXPECT_EQ(parse("rtp_duplicate_delay 10 20 40").rtp_duplicate_delay,
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(10),
                                                    std::chrono::milliseconds(20),
                                                    std::chrono::milliseconds(40)}));
  EXPECT_TRUE(parse("rtp_duplicate_delay 20\nrtp_duplicate_delay 0").rtp_duplicate_delay.empty());
  ASSERT_TRUE(c.rtp_duplicate_to);
  EXPECT_EQ(c.rtp_duplicate_to->host, "239.1.2.4");
  EXPECT_EQ(c.rtp_duplicate_to->service, "9005");
  EXPECT_EQ(parse("rtp_opus_frame 60").rtp_opus_frame_us, 60000);
  EXPECT_EQ(to_string(RtpEncoding::opus), "opus");

  EXPECT_EQ(error_of("rtp_encoding mp3"),
            "test.conf:1: rtp_encoding: 'mp3' is not one of l16, opus");
  EXPECT_EQ(error_of("rtp_opus_bitrate 5999"),
            "test.conf:1: rtp_opus_bitrate: '5999' is too small (the minimum is 6000)");
  EXPECT_EQ(error_of("rtp_opus_bitrate 510001"),
            "test.conf:1: rtp_opus_bitrate: '510001' is too large (the maximum is 510000)");
  EXPECT_EQ(error_of("rtp_opus_frame 15"),
            "test.conf:1: rtp_opus_frame: '15' is not an Opus frame duration "
            "(2.5, 5, 10, 20, 40 or 60 ms)");
  EXPECT_EQ(error_of("rtp_opus_payload_type 95"),
            "test.conf:1: rtp_opus_payload_type: '95' is too small (the minimum is 96)");
  EXPECT_EQ(error_of("rtp_opus_payload_type 128"),
            "test.conf:1: rtp_opus_payload_type: '128' is too large (the maximum is 127)");
  EXPECT_EQ(error_of("rtp_opus_loss 31"),
            "test.conf:1: rtp_opus_loss: '31' is too large (the maximum is 30)");
  EXPECT_EQ(error_of("rtp_opus_loss -1"),
            "test.conf:1: rtp_opus_loss: '-1' is too small (the minimum is 0)");
  EXPECT_EQ(error_of("rtp_duplicate_delay 1001"),
            "test.conf:1: rtp_duplicate_delay: '1001' is too large (the maximum is 1000)");
  EXPECT_EQ(error_of("rtp_duplicate_delay 10 0"),
            "test.conf:1: rtp_duplicate_delay: '0' is too small (the minimum is 1)");
  EXPECT_EQ(error_of("rtp_duplicate_delay 20 10"),
            "test.conf:1: rtp_duplicate_delay: the delays must be in ascending order "
            "('10' is not after '20')");
  EXPECT_EQ(error_of("rtp_duplicate_delay 1 2 3 4"),
            "test.conf:1: rtp_duplicate_delay: too many delays (at most 3 copies)");
  EXPECT_EQ(error_of("rtp_duplicate_delay"), "test.conf:1: rtp_duplicate_delay: missing argument");
  EXPECT_EQ(error_of("rtp_duplicate_to 224.0.0.1"), "test.conf:1: rtp_duplicate_to: missing port");
}

TEST(ConfigFiles, ServerChecksOpusAndDuplicatesAgainstTheMode) {
  TempDir dir;
  ConfigPaths paths;
  paths.priv = dir.file("absent");
  paths.system =
      dir.write("config", "api rtp\nrtp_mode request\nrtp_duplicate_to 127.0.0.1 9005\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              paths.system + ": rtp_duplicate_to needs a broadcast stream (not rtp_mode request)");
  }
  paths.system = dir.write("config", "api rtp\nrtp_mode request\nrtp_encoding opus\n", 0644);
  try {
    load_server_config(paths);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              paths.system + ": rtp_encoding is for a broadcast stream; in rtp_mode request "
                             "each listener asks for its encoding");
  }
  // Both are fine with a broadcast stream; rtp_duplicate_delay with either.
  paths.system = dir.write("config",
                           "broadcast 127.0.0.1 9003\nrtp_encoding opus\n"
                           "rtp_duplicate_to 127.0.0.1 9005\nrtp_duplicate_delay 30\n",
                           0644);
  EXPECT_EQ(load_server_config(paths).rtp_encoding, RtpEncoding::opus);
  paths.system = dir.write("config", "api rtp\nrtp_mode request\nrtp_duplicate_delay 30\n", 0644);
  EXPECT_EQ(load_server_config(paths).rtp_duplicate_delay,
            std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(30)});
}

TEST(ConfigReload, SpeakerItems) {
  Config running = parse("api rtp\nbroadcast 127.0.0.1 9003\nqueue_pad 10");
  EXPECT_EQ(speaker_difference(running, running), "");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\nqueue_pad 3")),
            "");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9005")), "broadcast");
  EXPECT_EQ(speaker_difference(running, parse("api command\nspeaker_command cat\n"
                                              "broadcast 127.0.0.1 9003")),
            "api");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\n"
                                              "rtp_mode request")),
            "rtp_mode");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\n"
                                              "rtp_timestamps samples")),
            "rtp_timestamps");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\n"
                                              "rtp_delay_threshold 4410")),
            "rtp_delay_threshold");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\n"
                                              "rtp_encoding opus")),
            "rtp_encoding");
  EXPECT_EQ(speaker_difference(running, parse("api rtp\nbroadcast 127.0.0.1 9003\n"
                                              "rtp_duplicate_to 127.0.0.1 9005")),
            "rtp_duplicate_to");
}

TEST(ConfigReload, UnchangeableItems) {
  Config running = parse("home /var/j\nuser jukebox\nqueue_pad 10");
  EXPECT_EQ(unchangeable_difference(running, running), "");
  // Items that may change: no complaint.
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/j\nuser jukebox\nqueue_pad 3\n"
                                                   "nice_server 5\nplayer *.x exec x")),
            "");
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/k\nuser jukebox")),
            "home cannot be changed while the server is running");
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/j\nuser nobody")),
            "user cannot be changed while the server is running");
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/j\nuser jukebox\nalias {title}")),
            "alias cannot be changed while the server is running");
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/j\nuser jukebox\nnamepart a b c")),
            "namepart cannot be changed while the server is running");
  EXPECT_EQ(unchangeable_difference(running, parse("home /var/j\nuser jukebox\nstopword extra")),
            "stopword cannot be changed while the server is running");
  // Writing out the default namepart set by hand is no change.
  const std::string same =
      "namepart title \"/([0-9]+ *[-:]? *)?([^/]+)\\\\.[a-zA-Z0-9]+$\" $2 display\n"
      "namepart title \"/([^/]+)\\\\.[a-zA-Z0-9]+$\" $1 sort\n"
      "namepart album \"/([^/]+)/[^/]+$\" $1 *\n"
      "namepart artist \"/([^/]+)/[^/]+/[^/]+$\" $1 *\n"
      "namepart ext \"(\\\\.[a-zA-Z0-9]+)$\" $1 *\n";
  Config explicit_defaults = parse("home /var/j\nuser jukebox\n" + same);
  EXPECT_FALSE(explicit_defaults.namepart_is_default);
  EXPECT_EQ(unchangeable_difference(running, explicit_defaults), "");
}
