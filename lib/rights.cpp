// Parsing and formatting of rights lists.
#include "rights.hpp"

#include "error.hpp"

#include <array>
#include <utility>

namespace disorder {

namespace {

constexpr std::array<std::pair<std::string_view, Rights>, 19> kRights{{
    {"read", right::read},
    {"play", right::play},
    {"move_any", right::move_any},
    {"move_mine", right::move_mine},
    {"move_random", right::move_random},
    {"remove_any", right::remove_any},
    {"remove_mine", right::remove_mine},
    {"remove_random", right::remove_random},
    {"scratch_any", right::scratch_any},
    {"scratch_mine", right::scratch_mine},
    {"scratch_random", right::scratch_random},
    {"volume", right::volume},
    {"admin", right::admin},
    {"rescan", right::rescan},
    {"register", right::register_},
    {"userinfo", right::userinfo},
    {"prefs", right::prefs},
    {"global_prefs", right::global_prefs},
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
    for (char& c : name)
      if (c == ' ' || c == '-') c = '_';
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

std::string format_rights(Rights rights) {
  std::string out;
  for (const auto& [n, bit] : kRights) {
    if (rights & bit) {
      if (!out.empty()) out += ',';
      out += n;
    }
  }
  return out;
}

} // namespace disorder
