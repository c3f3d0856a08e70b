// PCRE2 regular expressions as disorder_config(5) "REGEXP SUBSTITUTION
// RULES" uses them (namepart, transform) and as the file-listing commands
// match basenames: patterns are UTF-8, compiled once (with PCRE2's JIT where
// it has one) and matched many times, and substitutions expand $1..$9, $&
// and $$.  Every match runs under limits, because patterns come from
// clients with only the read right and a pathological one ("(a+)+$") would
// otherwise hold the server's one thread for seconds.
#pragma once

#include "error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;

namespace disorder {

// A pattern PCRE2 refuses.  what() is "MESSAGE at offset N in PATTERN".
class RegexpError : public Error {
public:
  using Error::Error;
};

// A match that reached one of the limits below: the pattern is too
// expensive for that subject.  Not a RegexpError, which is about the
// pattern's syntax.
class RegexpLimitError : public Error {
public:
  using Error::Error;
};

class Regexp {
public:
  // Limits on one match.  kMatchLimit counts PCRE2's backtracking steps
  // (roughly 30 ms of interpreted matching, well under 1 ms with the JIT;
  // ordinary patterns over a file name need a few dozen); kDepthLimit and
  // kHeapLimitKiB bound the interpreter's backtracking memory.
  static constexpr std::uint32_t kMatchLimit = 100'000;
  static constexpr std::uint32_t kDepthLimit = 10'000;
  static constexpr std::uint32_t kHeapLimitKiB = 8 * 1024;

  // Compiles pattern in UTF mode, case-independently when ignore_case.
  // Throws RegexpError.
  explicit Regexp(std::string_view pattern, bool ignore_case = false);
  Regexp(Regexp&&) noexcept;
  Regexp& operator=(Regexp&&) noexcept;
  ~Regexp();

  // Whether the pattern matches anywhere in subject.  A subject that is not
  // valid UTF-8 matches nothing.  Each of these three throws
  // RegexpLimitError when a match reaches a limit.
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
  struct MatchContextFree {
    void operator()(pcre2_real_match_context_8* p) const;
  };

  // Matches at or after offset; the number of captures set (>0), or 0 for
  // no match.  options are PCRE2 match options.  Throws RegexpLimitError.
  int match_at(std::string_view subject, size_t offset, unsigned options) const;
  // Appends subst expanded for the last match to out.
  void expand_into(std::string& out, std::string_view subject, std::string_view subst,
                   int captures) const;

  std::string pattern_;
  std::unique_ptr<pcre2_real_code_8, CodeFree> code_;
  // Scratch space for matches, reused: a Regexp is used by one thread.
  std::unique_ptr<pcre2_real_match_data_8, MatchDataFree> match_;
  // The limits above.
  std::unique_ptr<pcre2_real_match_context_8, MatchContextFree> context_;
};

// One client command's matching: a pattern and a budget for the time all
// its matches take together, checked before each, so that a command over a
// large directory with a pattern that stays just under the per-match limits
// still cannot hold the loop for long.  Only the matching counts, not the
// work between matches.
class BoundedMatcher {
public:
  using Clock = std::chrono::steady_clock;
  BoundedMatcher(const Regexp& regexp, Clock::duration budget) : regexp_(regexp), budget_(budget) {}

  // Regexp::matches(); throws RegexpLimitError when a match reaches a limit
  // or the budget is spent.
  bool matches(std::string_view subject);

private:
  const Regexp& regexp_;
  Clock::duration budget_;
  Clock::duration spent_{};
};

} // namespace disorder
