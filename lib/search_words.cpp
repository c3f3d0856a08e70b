// Splitting names and tags into indexable words.
#include "search_words.hpp"

namespace disorder {

namespace {

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_word_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

SearchWords::SearchWords(const std::vector<std::string>& stopwords) {
  for (const auto& w : stopwords) {
    std::string folded;
    for (char c : w)
      folded += ascii_lower(c);
    stopwords_.insert(std::move(folded));
  }
}

bool SearchWords::is_stopword(std::string_view word) const {
  if (stopwords_.empty()) return false;
  folded_.clear();
  for (char c : word)
    folded_ += ascii_lower(c);
  return stopwords_.count(folded_) != 0;
}

void SearchWords::add_text(std::string_view text, std::string& out) const {
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && !is_word_byte(text[i]))
      ++i;
    size_t start = i;
    while (i < n && is_word_byte(text[i]))
      ++i;
    if (i == start) break;
    std::string_view word = text.substr(start, i - start);
    if (is_stopword(word)) continue;
    if (!out.empty()) out += ' ';
    out.append(word);
  }
}

void SearchWords::add_name(std::string_view relative_name, std::string& out) const {
  size_t slash = relative_name.rfind('/');
  size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  size_t dot = relative_name.rfind('.');
  if (dot != std::string_view::npos && dot > base) relative_name = relative_name.substr(0, dot);
  add_text(relative_name, out);
}

} // namespace disorder
