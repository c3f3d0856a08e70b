// Compiling, matching and substituting with PCRE2, under limits.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regexp.hpp"

#include <pcre2.h>

namespace disorder {

void Regexp::CodeFree::operator()(pcre2_real_code_8* p) const {
  pcre2_code_free(p);
}

void Regexp::MatchDataFree::operator()(pcre2_real_match_data_8* p) const {
  pcre2_match_data_free(p);
}

void Regexp::MatchContextFree::operator()(pcre2_real_match_context_8* p) const {
  pcre2_match_context_free(p);
}

Regexp::Regexp(std::string_view pattern, bool ignore_case) : pattern_(pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  uint32_t options = PCRE2_UTF | (ignore_case ? PCRE2_CASELESS : 0);
  code_.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                            &error, &offset, nullptr));
  if (!code_) {
    PCRE2_UCHAR message[256];
    if (pcre2_get_error_message(error, message, sizeof message) < 0)
      throw RegexpError("invalid regexp '" + pattern_ + "'");
    throw RegexpError(reinterpret_cast<const char*>(message) + std::string(" at offset ") +
                      std::to_string(offset) + " in regexp '" + pattern_ + "'");
  }
  // Where PCRE2 has no JIT for this machine (or this pattern) the
  // interpreter does the same work, more slowly: not an error.
  (void)pcre2_jit_compile(code_.get(), PCRE2_JIT_COMPLETE);
  match_.reset(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  context_.reset(pcre2_match_context_create(nullptr));
  if (!match_ || !context_) throw std::bad_alloc();
  pcre2_set_match_limit(context_.get(), kMatchLimit);
  pcre2_set_depth_limit(context_.get(), kDepthLimit);
  pcre2_set_heap_limit(context_.get(), kHeapLimitKiB);
}

Regexp::Regexp(Regexp&&) noexcept = default;
Regexp& Regexp::operator=(Regexp&&) noexcept = default;
Regexp::~Regexp() = default;

int Regexp::match_at(std::string_view subject, size_t offset, unsigned options) const {
  int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       offset, options, match_.get(), context_.get());
  if (rc > 0) return rc;
  if (rc == 0) return static_cast<int>(pcre2_get_ovector_count(match_.get()));
  switch (rc) {
  case PCRE2_ERROR_MATCHLIMIT:
  case PCRE2_ERROR_DEPTHLIMIT:
  case PCRE2_ERROR_HEAPLIMIT:
  case PCRE2_ERROR_JIT_STACKLIMIT:
  case PCRE2_ERROR_NOMEMORY:
    throw RegexpLimitError("regexp '" + pattern_ + "' reached the limit on matching work");
  default:
    // No match, or a subject that is not UTF-8: the callers' subjects are
    // names, and a name the pattern cannot be applied to does not match it.
    return 0;
  }
}

bool Regexp::matches(std::string_view subject) const {
  return match_at(subject, 0, 0) > 0;
}

void Regexp::expand_into(std::string& out, std::string_view subject, std::string_view subst,
                         int captures) const {
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match_.get());
  auto group = [&](int n) {
    if (n >= captures || ov[2 * n] == PCRE2_UNSET) return; // unset groups expand to ""
    out.append(subject.substr(ov[2 * n], ov[2 * n + 1] - ov[2 * n]));
  };
  for (size_t i = 0; i < subst.size(); ++i) {
    char c = subst[i];
    if (c != '$' || i + 1 == subst.size()) {
      out += c;
      continue;
    }
    char next = subst[i + 1];
    if (next >= '1' && next <= '9') {
      group(next - '0');
      ++i;
    } else if (next == '&') {
      group(0);
      ++i;
    } else if (next == '$') {
      out += '$';
      ++i;
    } else {
      // Other $ pairs are undefined in disorder_config(5); they stand for
      // themselves here.
      out += c;
    }
  }
}

std::optional<std::string> Regexp::expand_first(std::string_view subject,
                                                std::string_view subst) const {
  int captures = match_at(subject, 0, 0);
  if (captures <= 0) return std::nullopt;
  std::string out;
  expand_into(out, subject, subst, captures);
  return out;
}

std::string Regexp::replace(std::string_view subject, std::string_view subst, bool global) const {
  std::string out;
  size_t copied = 0; // subject[0, copied) is already in out
  size_t offset = 0;
  unsigned options = 0;
  while (offset <= subject.size()) {
    int captures = match_at(subject, offset, options);
    if (captures <= 0) {
      if (options == 0) break;
      // No non-empty match where the last empty one was: step over one
      // character (a whole UTF-8 sequence) and look again.
      options = 0;
      if (offset == subject.size()) break;
      ++offset;
      while (offset < subject.size() &&
             (static_cast<unsigned char>(subject[offset]) & 0xC0) == 0x80)
        ++offset;
      continue;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match_.get());
    size_t start = ov[0], end = ov[1];
    out.append(subject.substr(copied, start - copied));
    expand_into(out, subject, subst, captures);
    copied = end;
    if (!global) break;
    offset = end;
    // After an empty match, the next one must not be empty at the same place
    // (else "x*" would match there for ever).
    options = start == end ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
  }
  out.append(subject.substr(copied));
  return out;
}

bool BoundedMatcher::matches(std::string_view subject) {
  if (spent_ >= budget_)
    throw RegexpLimitError("regexp '" + regexp_.pattern() + "' reached the limit on matching time");
  const auto start = Clock::now();
  // Counted even when the match throws: the command ends then anyway.
  struct Count {
    BoundedMatcher& m;
    Clock::time_point start;
    ~Count() { m.spent_ += Clock::now() - start; }
  } count{*this, start};
  return regexp_.matches(subject);
}

} // namespace disorder
