// PCRE2 regular expressions as disorder_config(5) "REGEXP SUBSTITUTION
// RULES" uses them (namepart, transform) and as the file-listing commands
// match basenames: patterns are UTF-8, compiled once and matched many times,
// and substitutions expand $1..$9, $& and $$.
#pragma once

#include "error.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace disorder {

// A pattern PCRE2 refuses.  what() is "MESSAGE at offset N in PATTERN".
class RegexpError : public Error {
public:
  using Error::Error;
};

class Regexp {
public:
  // Compiles pattern in UTF mode, case-independently when ignore_case.
  // Throws RegexpError.
  explicit Regexp(std::string_view pattern, bool ignore_case = false);
  Regexp(Regexp&&) noexcept;
  Regexp& operator=(Regexp&&) noexcept;
  ~Regexp();

  // Whether the pattern matches anywhere in subject.  A subject that is not
  // valid UTF-8 matches nothing.
  bool matches(std::string_view subject) const;
  // subst expanded for the first match in subject; nullopt when there is no
  // match.  (namepart: the value is the expansion alone.)
  std::optional<std::string> expand_first(std::string_view subject, std::string_view subst) const;
  // subject with its first match, or every match when global, replaced by
  // subst expanded for that match.  (transform: the rest of the subject is
  // kept.)  Unchanged when nothing matches.
  std::string replace(std::string_view subject, std::string_view subst, bool global) const;

  const std::string& pattern() const { return pattern_; }

private:
  struct CodeFree {
    void operator()(pcre2_real_code_8* p) const;
  };
  struct MatchDataFree {
    void operator()(pcre2_real_match_data_8* p) const;
  };

  // Matches at or after offset; the number of captures set (>0), or 0 for
  // no match.  options are PCRE2 match options.
  int match_at(std::string_view subject, size_t offset, unsigned options) const;
  // Appends subst expanded for the last match to out.
  void expand_into(std::string& out, std::string_view subject, std::string_view subst,
                   int captures) const;

  std::string pattern_;
  std::unique_ptr<pcre2_real_code_8, CodeFree> code_;
  // Scratch space for matches, reused: a Regexp is used by one thread.
  std::unique_ptr<pcre2_real_match_data_8, MatchDataFree> match_;
};

} // namespace disorder
