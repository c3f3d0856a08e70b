// Turning the words of a command line into commands with their arguments,
// and the --help-commands listing.
#include "cli.hpp"

namespace disorder::cli {

std::vector<Invocation> parse_invocations(Args words) {
  std::vector<Invocation> out;
  std::size_t i = 0;
  while (i < words.size()) {
    const Command* command = find_command(words[i]);
    if (!command) throw UsageError("unknown command '" + words[i] + "'");
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
