// getopt_long over disorder-playrtp's options, and the address forms.
#include "options.hpp"

#include "error.hpp"
#include "payload_format.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <getopt.h>
#include <string_view>

namespace disorder::playrtp {

namespace {

long parse_count(const char* text, const char* option) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (!*text || *end || errno || v < 0 || v > 100'000'000)
    throw SyntaxError(std::string("--") + option + " " + text + " is not a count");
  return v;
}

// The part after the '-' of a request form: "", "PORT", "ADDRESS/PORT".
void parse_request(std::string_view rest, Options& o) {
  const auto slash = rest.rfind('/');
  if (slash != std::string_view::npos) {
    o.host = rest.substr(0, slash);
    o.port = rest.substr(slash + 1);
    if (o.host.empty() || o.port.empty())
      throw SyntaxError("'-" + std::string(rest) + "' is not -ADDRESS/PORT");
  } else if (rest.find_first_not_of("0123456789") == std::string_view::npos) {
    o.port = rest;
  } else {
    o.host = rest;
  }
}

// Milliseconds, fractions allowed, within +-10 s; negative only if `sign`.
double parse_ms(const char* text, const char* option, bool sign) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (!*text || *end || errno || !(v >= -10000 && v <= 10000) || (!sign && v < 0))
    throw SyntaxError(std::string("--") + option + " " + text + " is not a time in milliseconds" +
                      (sign ? " (-10000..10000)" : " (0..10000)"));
  return v;
}

// Long options without a short form.
enum : int { kTrim = 256, kOutputDelay, kNoSync, kStatus, kEncoding };

} // namespace

void print_usage(std::FILE* f) {
  std::fprintf(
      f, "Usage: disorder-playrtp [OPTIONS] [--] [[ADDRESS] PORT]\n"
         "Play a disorder (or any L16 or Opus) RTP stream.\n"
         "  PORT                      unicast or broadcast stream to PORT\n"
         "  ADDRESS PORT              multicast group ADDRESS (or a local address)\n"
         "  -  -PORT  -ADDRESS/PORT   ask the server for a stream to us (after --)\n"
         "  (nothing)                 ask the server where its stream is\n"
         "Options:\n"
         "  --api API, -A API         alsa (default), ao or command\n"
         "  --device DEVICE, -D DEVICE  the ALSA device or libao driver\n"
         "  --command COMMAND, -e COMMAND  pipe 16-bit 44.1 kHz stereo to COMMAND\n"
         "  --pause-mode MODE, -P MODE   silence (default) or suspend, while nothing plays\n"
         "  --format BITS/RATE/CHANNELS, -F ...  format of payload types 96-127\n"
         "                            (default 16/44100/2), or opus (RFC 7587)\n"
         "  --encoding l16|opus       the stream to ask the server for (default l16)\n"
         "  --min FRAMES, -m FRAMES   target latency (default rtp_minbuffer, else 80 ms)\n"
         "  --max FRAMES, -x FRAMES   stop reading at this much buffered (default rtp_maxbuffer,\n"
         "                            else 2 x --min, else 400 ms)\n"
         "  --rcvbuf BYTES, -R BYTES  socket receive buffer at least BYTES\n"
         "  --monitor, -M             report the buffer and timing every second\n"
         "  --output-delay MS         the output sounds MS later than it reports\n"
         "                            (libao, a command's own buffer)\n"
         "  --trim MS                 play MS later (negative: earlier) than the others\n"
         "  --no-sync                 ignore the sender's timeline (play by arrival)\n"
         "  --socket PATH, -s PATH    remote control socket\n"
         "  --status                  print the status of the listener on --socket\n"
         "  --config PATH, -C PATH    system configuration file\n"
         "  --user-config PATH, -u PATH  user configuration file\n"
         "  --debug, -d               debugging messages\n"
         "  --help, -h                this message\n"
         "  --version, -V             the version\n");
}

Action parse_options(int argc, char** argv, Options& o) {
  static const option long_options[] = {
      {"api", required_argument, nullptr, 'A'},
      {"device", required_argument, nullptr, 'D'},
      {"command", required_argument, nullptr, 'e'},
      {"pause-mode", required_argument, nullptr, 'P'},
      {"format", required_argument, nullptr, 'F'},
      {"config", required_argument, nullptr, 'C'},
      {"user-config", required_argument, nullptr, 'u'},
      {"socket", required_argument, nullptr, 's'},
      {"min", required_argument, nullptr, 'm'},
      {"max", required_argument, nullptr, 'x'},
      {"rcvbuf", required_argument, nullptr, 'R'},
      {"monitor", no_argument, nullptr, 'M'},
      {"debug", no_argument, nullptr, 'd'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"trim", required_argument, nullptr, kTrim},
      {"output-delay", required_argument, nullptr, kOutputDelay},
      {"no-sync", no_argument, nullptr, kNoSync},
      {"status", no_argument, nullptr, kStatus},
      {"encoding", required_argument, nullptr, kEncoding},
      // Deprecated in disorder-playrtp(1): --api says it all.
      {"alsa", no_argument, nullptr, 'a'},
      {"oss", no_argument, nullptr, 'o'},
      {"core-audio", no_argument, nullptr, 'c'},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":A:D:e:P:F:C:u:s:m:x:R:MdhVaoc", long_options, nullptr)) !=
         -1) {
    switch (c) {
    case 'A': {
      const std::string_view api = optarg;
      if (api != "alsa" && api != "ao" && api != "command")
        throw SyntaxError("--api " + std::string(api) +
                          " is not available (this build has alsa, ao and command)");
      o.api = api;
      break;
    }
    case 'a':
      o.api = "alsa";
      break;
    case 'o':
    case 'c':
      throw SyntaxError(std::string(c == 'o' ? "OSS" : "Core Audio") +
                        " is not available (this build has alsa, ao and command)");
    case 'D':
      o.device = optarg;
      break;
    case 'e':
      o.command = optarg;
      break;
    case 'P':
      if (std::string_view(optarg) == "silence")
        o.pause_mode = PauseMode::silence;
      else if (std::string_view(optarg) == "suspend")
        o.pause_mode = PauseMode::suspend;
      else
        throw SyntaxError("--pause-mode takes silence or suspend, not " + std::string(optarg));
      break;
    case 'F':
      if (std::string_view(optarg) == "opus") {
        o.format_opus = true;
        o.format.reset();
      } else {
        o.format = parse_payload_format(optarg);
        o.format_opus = false;
      }
      break;
    case kEncoding:
      if (std::string_view(optarg) == "opus")
        o.encoding_opus = true;
      else if (std::string_view(optarg) == "l16")
        o.encoding_opus = false;
      else
        throw SyntaxError("--encoding takes l16 or opus, not " + std::string(optarg));
      break;
    case 'C':
      o.config = optarg;
      break;
    case 'u':
      o.user_config = optarg;
      break;
    case 's':
      o.socket = optarg;
      break;
    case 'm':
      o.min_frames = parse_count(optarg, "min");
      break;
    case 'x':
      o.max_frames = parse_count(optarg, "max");
      break;
    case 'R':
      o.rcvbuf = parse_count(optarg, "rcvbuf");
      break;
    case 'M':
      o.monitor = true;
      break;
    case 'd':
      o.debug = true;
      break;
    case kTrim:
      o.trim_ms = parse_ms(optarg, "trim", true);
      break;
    case kOutputDelay:
      o.output_delay_ms = parse_ms(optarg, "output-delay", false);
      break;
    case kNoSync:
      o.no_sync = true;
      break;
    case kStatus:
      o.status = true;
      break;
    case 'h':
      return Action::help;
    case 'V':
      return Action::version;
    case ':':
      throw SyntaxError(std::string("option ") + argv[optind - 1] + " needs a value");
    default:
      throw SyntaxError(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  const int n = argc - optind;
  char** args = argv + optind;
  if (o.status) {
    if (n != 0) throw SyntaxError("--status takes no address");
    if (!o.socket) throw SyntaxError("--status needs --socket PATH");
    return Action::status;
  }
  if (n == 0) {
    o.source = Source::ask;
  } else if (args[0][0] == '-') {
    if (n > 2) throw SyntaxError("too many arguments");
    o.source = Source::request;
    parse_request(args[0] + 1, o);
    if (n == 2) {
      if (!o.port.empty()) throw SyntaxError("two ports given");
      o.port = args[1];
    }
  } else if (n == 1) {
    o.source = Source::port;
    o.port = args[0];
  } else if (n == 2) {
    o.source = Source::address;
    o.host = args[0];
    o.port = args[1];
  } else {
    throw SyntaxError("too many arguments");
  }
  if (o.source != Source::request && o.source != Source::ask && o.port.empty())
    throw SyntaxError("empty port");
  return Action::run;
}

} // namespace disorder::playrtp
