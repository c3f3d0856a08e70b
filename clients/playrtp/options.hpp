// disorder-playrtp's command line (disorder-playrtp(1)): the options, and
// what to listen to from the arguments.
#pragma once

#include "audio_format.hpp"
#include "config.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace disorder::playrtp {

// Where the stream comes from.
enum class Source {
  ask,     // no arguments: ask the server (rtp-address)
  port,    // PORT: unicast or broadcast to this port
  address, // ADDRESS PORT: a multicast group (or one of our addresses)
  request, // -[...]: ask the server for a unicast stream to us
};

struct Options {
  std::optional<std::string> api; // alsa, ao or command
  std::optional<std::string> device;
  std::optional<std::string> command;
  std::optional<PauseMode> pause_mode;
  std::optional<std::string> config;
  std::optional<std::string> user_config;
  std::optional<std::string> socket;
  std::optional<long> min_frames;
  std::optional<long> max_frames;
  std::optional<long> rcvbuf;
  std::optional<AudioFormat> format; // for dynamic payload types
  bool format_opus = false;          // --format opus: they carry Opus
  // --encoding: what to ask the server for in request mode (rtp-request's
  // opus option); opus also means the dynamic types carry Opus.
  bool encoding_opus = false;
  bool monitor = false;
  bool debug = false;
  // Synchronised playout.
  double trim_ms = 0;         // --trim: this room plays that much later (signed)
  double output_delay_ms = 0; // --output-delay: what the output holds unreported
  bool no_sync = false;       // --no-sync: ignore the sender's timeline
  bool status = false;        // --status: ask a running listener (--socket) and exit

  Source source = Source::ask;
  // port/address: where to bind.  request: the local address and port to
  // announce, each empty when not given (rtp_request_address then).
  std::string host;
  std::string port;
};

enum class Action { run, help, version, status };

// Throws SyntaxError for a bad command line.
Action parse_options(int argc, char** argv, Options& options);

void print_usage(std::FILE* f);

} // namespace disorder::playrtp
