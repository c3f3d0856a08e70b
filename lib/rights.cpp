// Parsing and formatting of rights lists, in DisOrder's spelling.
#include "rights.hpp"

#include "error.hpp"

#include <array>
#include <utility>

namespace disorder {

namespace {

constexpr std::array<std::pair<std::string_view, Rights>, 19> kRights{{
    {"read", right::read},
    {"play", right::play},
    {"move any", right::move_any},
    {"move mine", right::move_mine},
    {"move random", right::move_random},
    {"remove any", right::remove_any},
    {"remove mine", right::remove_mine},
    {"remove random", right::remove_random},
    {"scratch any", right::scratch_any},
    {"scratch mine", right::scratch_mine},
    {"scratch random", right::scratch_random},
    {"volume", right::volume},
    {"admin", right::admin},
    {"rescan", right::rescan},
    {"register", right::register_},
    {"userinfo", right::userinfo},
    {"prefs", right::prefs},
    {"global prefs", right::global_prefs},
    {"pause", right::pause},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

Rights parse_rights(std::string_view text) {
  Rights result = right::none;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    std::string name(item);
    // DisOrder writes "move any"; configurations and scripts also write
    // "move_any" or "move-any".  Runs of blanks count as one.
    std::string words;
    for (char c : name) {
      if (c == '_' || c == '-' || c == '\t') c = ' ';
      if (c == ' ' && (words.empty() || words.back() == ' ')) continue;
      words += c;
    }
    name = words;
    if (name == "all") {
      result |= right::all;
      continue;
    }
    bool found = false;
    for (const auto& [n, bit] : kRights) {
      if (n == name) {
        result |= bit;
        found = true;
        break;
      }
    }
    if (!found) throw SyntaxError("unknown right '" + std::string(item) + "'");
  }
  return result;
}

std::string format_rights(Rights rights, RightsSpelling spelling) {
  std::string out;
  for (const auto& [n, bit] : kRights) {
    if (rights & bit) {
      if (!out.empty()) out += ',';
      std::string name(n);
      if (spelling == RightsSpelling::underscores)
        for (char& c : name)
          if (c == ' ') c = '_';
      out += name;
    }
  }
  return out;
}

} // namespace disorder
