// The command table of the disorder CLI and what its handlers share: each
// command of disorder(1) is one table entry (name, argument counts, help,
// handler), and a command line is a sequence of such commands, each taking
// its arguments from the words that follow it.
#pragma once

#include "client.hpp"
#include "config.hpp"
#include "error.hpp"

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace disorder::cli {

// The command line is wrong: main prints it with the usage message and
// exits 2.
class UsageError : public Error {
public:
  using Error::Error;
};

// How commands print what they report.  `disorder` is DisOrder's
// disorder(1), which scripts written for it parse; `table` lines queue
// entries up in columns; `json` prints one JSON value a line for each
// command that reports anything.
enum class Format { disorder, table, json };

// What a handler works with.  The connection is made when a handler first
// asks for it, so a bad command line fails before anything is sent.
class Context {
public:
  Context(const Config& config, std::istream& in, std::ostream& out,
          Format format = Format::disorder, Client::Trace trace = {})
      : config_(config), in_(in), out_(out), format_(format), trace_(std::move(trace)) {}

  const Config& config() const noexcept { return config_; }
  std::istream& in() noexcept { return in_; }
  std::ostream& out() noexcept { return out_; }
  Format format() const noexcept { return format_; }
  bool json() const noexcept { return format_ == Format::json; }
  // The logged-in connection (Client::connect), made on first use.
  Client& client();

  // Shorthands for the usual shapes of a command.  Each sends the fields
  // and throws CommandError if the server refuses.
  Reply run(const std::vector<std::string>& fields);
  // ...and prints the reply's value on its own line (a JSON string).
  void print_value(const std::vector<std::string>& fields);
  // ...and prints the reply's value, yes or no (JSON true or false).
  void print_yes_no(const std::vector<std::string>& fields);
  // ...and prints the reply's body, one line each (a JSON array of
  // strings).
  void print_body(const std::vector<std::string>& fields);
  // Prints a list as print_body does.
  void print_list(const std::vector<std::string>& items);

private:
  const Config& config_;
  std::istream& in_;
  std::ostream& out_;
  Format format_;
  Client::Trace trace_;
  std::optional<Client> client_;
};

using Args = std::span<const std::string>;

// {name, args...} as the fields of a protocol command.
std::vector<std::string> fields(std::string_view name, Args args);

struct Command {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;   // `unlimited` for a list
  std::string_view usage; // the arguments, as the help shows them
  std::string_view help;
  void (*handler)(Context&, Args);
  // Whether a word after the required arguments is this command's
  // optional argument.  Null means "any word that is not a command name".
  bool (*takes_optional)(std::string_view word) = nullptr;
};

inline constexpr std::size_t unlimited = static_cast<std::size_t>(-1);

// Every command, sorted by name.
std::span<const Command> commands();
const Command* find_command(std::string_view name);

struct Invocation {
  const Command* command;
  std::vector<std::string> args;
};

// Split the words after the options into commands with their arguments.
// Throws UsageError for an unknown command or missing arguments.
std::vector<Invocation> parse_invocations(Args words);

// The table as --help-commands shows it.
void print_commands(std::ostream& out);

// A JSON string holding s, with its quotes.  Throws ProtocolError if s
// is not UTF-8 (JSON cannot carry it).
std::string json_string(std::string_view s);

// The fields of a protocol line, or ProtocolError("malformed reply from
// server") when it is not valid field syntax.
std::vector<std::string> reply_fields(std::string_view line);

// Handlers too long for a table entry.
void authorize(Context& context, Args args);
void playlist_set(Context& context, Args args);
// queue, recent and playing (cli_track_listing.cpp); long_form (--long)
// adds each entry's length and the playing track's elapsed time.
void print_queue(Context& context, std::string_view command, bool long_form = false);
void print_playing(Context& context, bool long_form = false);
// rtp-listeners (cli_rtp_listeners.cpp).
void print_rtp_listeners(Context& context);

// The schedule commands (cli_schedule.cpp), sorted by name; commands()
// merges them into the table.
std::span<const Command> schedule_commands();
// status (cli_status.cpp), watch (cli_watch.cpp), and play-dir,
// play-playlist and queue-clear (cli_queue_ops.cpp), merged likewise.
std::span<const Command> status_commands();
std::span<const Command> watch_commands();
std::span<const Command> queue_ops_commands();
// What `disorder` alone prints on a terminal (cli_status.cpp).
void print_status(Context& context);
// A schedule command's WHEN (disorder(1)) as seconds since the epoch:
// "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD HH:MM", "HH:MM:SS" or "HH:MM" in local
// time; a time of day alone is its next occurrence after now.  Throws Error
// for anything else.
std::int64_t parse_schedule_time(const std::string& text, std::int64_t now);

} // namespace disorder::cli
