// Turning the words of a command line into commands with their arguments,
// the errors that explain a command line that does not parse, and the
// --help-commands listing.
#include "cli.hpp"

#include <algorithm>

namespace disorder::cli {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of neighbours each count one, so "queu" and "qeueu"
// are both one step from "queue".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// "; did you mean 'a', 'b' or 'c'?" for the (at most three) commands
// nearest to word, or "" when none is near enough to be a likely typo: a
// third of the word's length, at least one and at most three edits.
std::string suggestions(std::string_view word) {
  const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::vector<std::pair<std::size_t, std::string_view>> near;
  for (const auto& c : commands()) {
    // The lengths alone put it out of reach (and a long word costs nothing).
    const std::size_t gap =
        word.size() > c.name.size() ? word.size() - c.name.size() : c.name.size() - word.size();
    if (gap > limit) continue;
    if (std::size_t d = edit_distance(word, c.name); d <= limit) near.emplace_back(d, c.name);
  }
  if (near.empty()) return "";
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  if (near.size() > 3) near.resize(3);
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < near.size(); ++i) {
    if (i) out += i + 1 == near.size() ? " or " : ", ";
    out += "'" + std::string(near[i].second) + "'";
  }
  return out + "?";
}

// A word as the user would type it to a shell: bare if nothing in it is
// special, else single-quoted.
std::string shell_word(const std::string& word) {
  const bool plain =
      !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "abcdefghijklmnopqrstuvwxyz"
                                              "0123456789_-./:=@%+,") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string argument_count(const Command& c) {
  auto n = [](std::size_t k) { return std::to_string(k) + (k == 1 ? " argument" : " arguments"); };
  if (c.max_args == 0) return "takes no arguments";
  if (c.min_args == c.max_args) return "takes " + n(c.max_args);
  return "takes at most " + n(c.max_args);
}

// A word that is no command follows `inv`, which took what it could: say
// so rather than "unknown command".  When the command already has all its
// arguments, the likely story is a multi-word argument the shell split,
// so show the quoted form: the last argument joined with the stray words
// up to the next command.
[[noreturn]] void stray_word(const Invocation& inv, Args words, std::size_t i) {
  const Command& c = *inv.command;
  const std::string name(c.name);
  const std::string usage = c.usage.empty() ? name : name + " " + std::string(c.usage);
  const std::string& word = words[i];
  if (inv.args.size() < c.max_args)
    throw UsageError("'" + word + "' is not a command, nor an argument that '" + name +
                     "' takes (usage: " + usage + ")" + suggestions(word));
  std::string text = "'" + name + "' " + argument_count(c) + " (usage: " + usage + "); '" + word +
                     "' is not a command";
  if (inv.args.empty()) throw UsageError(text + suggestions(word));
  std::string joined = inv.args.back();
  for (std::size_t j = i; j < words.size() && !find_command(words[j]); ++j)
    joined += " " + words[j];
  // Only where the joined words could be the argument: not for a count.
  if (c.takes_optional && !c.takes_optional(joined)) throw UsageError(text + suggestions(word));
  std::string quoted = "disorder " + name;
  for (std::size_t a = 0; a + 1 < inv.args.size(); ++a)
    quoted += " " + shell_word(inv.args[a]);
  quoted += " " + shell_word(joined);
  throw UsageError(text + " (quote arguments that contain spaces: " + quoted + ")");
}

} // namespace

std::vector<Invocation> parse_invocations(Args words) {
  std::vector<Invocation> out;
  std::size_t i = 0;
  while (i < words.size()) {
    const Command* command = find_command(words[i]);
    if (!command) {
      if (!out.empty()) stray_word(out.back(), words, i);
      throw UsageError("unknown command '" + words[i] + "'" + suggestions(words[i]));
    }
    ++i;
    if (words.size() - i < command->min_args)
      throw UsageError("'" + std::string(command->name) + "' needs " +
                       (command->min_args == command->max_args ? "" : "at least ") +
                       std::to_string(command->min_args) + " argument" +
                       (command->min_args == 1 ? "" : "s") + ": " + std::string(command->name) +
                       " " + std::string(command->usage));
    Invocation inv{command, {words.begin() + i, words.begin() + i + command->min_args}};
    i += command->min_args;
    // Optional arguments: several commands may share one command line, so
    // a word is only taken when it can be this command's argument.
    while (i < words.size() && inv.args.size() < command->max_args &&
           (command->takes_optional ? command->takes_optional(words[i])
                                    : find_command(words[i]) == nullptr))
      inv.args.push_back(words[i++]);
    out.push_back(std::move(inv));
  }
  return out;
}

void print_commands(std::ostream& out) {
  out << "Commands:\n";
  for (const auto& c : commands()) {
    std::string synopsis(c.name);
    if (!c.usage.empty()) synopsis += " " + std::string(c.usage);
    out << "  " << synopsis << "\n      " << c.help << "\n";
  }
}

} // namespace disorder::cli
