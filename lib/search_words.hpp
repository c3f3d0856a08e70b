// The text indexed for searching a track: the words of its name below the
// collection root (directory names and the file name without its
// extension) and of its artist, album and title tags.  Stopwords are left
// out here so that searching for "the" does not match every track; the
// server drops them from queries the same way.  Shared by disorder-rescan,
// which writes the index, and disorderd, which searches it and indexes
// trackname_ preferences.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace disorder {

class SearchWords {
public:
  // stopwords: Config::stopword.  Compared without regard to ASCII case.
  explicit SearchWords(const std::vector<std::string>& stopwords);

  // Appends the words of text to out, each preceded by a space when out is
  // not empty.  A word is a run of ASCII letters and digits and non-ASCII
  // characters; everything else separates words (SQLite's unicode61
  // tokenizer splits those runs further where it needs to).
  void add_text(std::string_view text, std::string& out) const;
  // Appends the words of a track name below its root ("Artist/Album/01
  // Song.flac"): every component, the last without its extension.
  void add_name(std::string_view relative_name, std::string& out) const;

private:
  bool is_stopword(std::string_view word) const;
  std::unordered_set<std::string> stopwords_; // lower case
  mutable std::string folded_;                // scratch for is_stopword
};

} // namespace disorder
