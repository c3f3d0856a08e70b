// Conversion of file name components into track name components.
#include "track_name.hpp"

namespace disorder {

TrackNamer::TrackNamer(const std::string& encoding)
    : converter_(encoding.empty() ? locale_encoding() : encoding, "UTF-8") {}

bool TrackNamer::component(std::string_view raw, std::string& out) {
  if (!converter_.convert(raw, converted_)) return false;
  return nfc_normalize(converted_, out);
}

std::string_view dir_part(std::string_view name) {
  size_t slash = name.rfind('/');
  if (slash == std::string_view::npos) return {};
  if (slash == 0) return name.substr(0, 1);
  return name.substr(0, slash);
}

std::string below_begin(std::string_view dir) {
  std::string s(dir);
  if (s.empty() || s.back() != '/') s += '/';
  return s;
}

std::string below_end(std::string_view dir) {
  std::string s = below_begin(dir);
  s.back() = '/' + 1; // '0': the byte after '/'
  return s;
}

bool is_at_or_below(std::string_view name, std::string_view dir) {
  if (name == dir) return true;
  if (dir == "/") return !name.empty() && name[0] == '/';
  return name.size() > dir.size() && name.substr(0, dir.size()) == dir && name[dir.size()] == '/';
}

} // namespace disorder
