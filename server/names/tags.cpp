// Splitting tag lists and folding tags for comparison (libunistring).
#include "tags.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

namespace disorder {

namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The blocks of combining diacritical marks: what "accents" means here.
// Other combining characters (vowel signs of Indic scripts, for instance)
// are letters of their words and are kept.
bool is_diacritic(ucs4_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

} // namespace

std::vector<std::string> split_tags(std::string_view value) {
  std::vector<std::string> tags;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view tag = value.substr(start, comma - start);
    while (!tag.empty() && is_ascii_space(tag.front()))
      tag.remove_prefix(1);
    while (!tag.empty() && is_ascii_space(tag.back()))
      tag.remove_suffix(1);
    if (!tag.empty()) tags.emplace_back(tag);
    start = comma + 1;
  }
  return tags;
}

namespace {

// tag case-folded and in the given normalisation form, its whitespace runs
// made single spaces and trimmed; combining diacritical marks are dropped
// when drop_accents.
std::string fold(std::string_view tag, uninorm_t form, bool drop_accents) {
  const auto* s = reinterpret_cast<const uint8_t*>(tag.data());
  if (u8_check(s, tag.size())) throw SyntaxError("tag is not valid UTF-8");
  size_t length = 0;
  // No language: the result is stored, so it must not change with the
  // locale the server happens to run in.
  std::unique_ptr<uint8_t, FreeDeleter> folded(
      u8_casefold(s, tag.size(), nullptr, form, nullptr, &length));
  if (!folded) throw std::bad_alloc();
  std::string out;
  out.reserve(length);
  bool pending_space = false;
  for (size_t i = 0; i < length;) {
    ucs4_t c;
    int n = u8_mbtouc(&c, folded.get() + i, length - i);
    if (uc_is_property_white_space(c)) {
      pending_space = !out.empty();
    } else if (!drop_accents || !is_diacritic(c)) {
      if (pending_space) out += ' ';
      pending_space = false;
      out.append(reinterpret_cast<const char*>(folded.get() + i), static_cast<size_t>(n));
    }
    i += static_cast<size_t>(n);
  }
  return out;
}

} // namespace

std::string tag_key(std::string_view tag) {
  return fold(tag, UNINORM_NFD, true);
}

std::string normalise_tag(std::string_view tag) {
  return fold(tag, UNINORM_NFC, false);
}

std::string normalise_tags(std::string_view value) {
  std::vector<std::string> seen;
  std::string out;
  for (const auto& tag : split_tags(value)) {
    std::string t = normalise_tag(tag);
    if (t.empty() || std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
    if (!out.empty()) out += ", ";
    out += t;
    seen.push_back(std::move(t));
  }
  return out;
}

std::string normalised_tags_or_same(std::string_view value) {
  try {
    return normalise_tags(value);
  } catch (const SyntaxError&) {
    return std::string(value);
  }
}

} // namespace disorder
