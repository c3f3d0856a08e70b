// The PCRE2 wrapper and the substitution rules of disorder_config(5)
// "REGEXP SUBSTITUTION RULES".
#include "server/names/regexp.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using disorder::BoundedMatcher;
using disorder::Regexp;
using disorder::RegexpError;
using disorder::RegexpLimitError;

TEST(Regexp, MatchesAnywhereAndCaseIndependentlyOnRequest) {
  Regexp re("b+c");
  EXPECT_TRUE(re.matches("abbbcd"));
  EXPECT_FALSE(re.matches("ABBC"));
  EXPECT_TRUE(Regexp("b+c", true).matches("ABBC"));
  EXPECT_TRUE(Regexp("^$").matches(""));
}

TEST(Regexp, IsUtf8) {
  // One character, not two bytes.
  EXPECT_TRUE(Regexp("^caf.$").matches("café"));
  EXPECT_TRUE(Regexp("ÉTÉ", true).matches("été"));
  // A subject that is not UTF-8 matches nothing rather than failing.
  EXPECT_FALSE(Regexp(".").matches("\xff\xfe"));
}

TEST(Regexp, BadPatternsAreRefusedWithPcre2sMessage) {
  try {
    Regexp re("a(b");
    FAIL() << "compiled";
  } catch (const RegexpError& e) {
    EXPECT_STREQ(e.what(), "missing closing parenthesis at offset 3 in regexp 'a(b'");
  }
  EXPECT_THROW(Regexp("*"), RegexpError);
  EXPECT_THROW(Regexp("[z-a]"), RegexpError);
}

TEST(Regexp, ExpandsNumberedGroupsWholeMatchAndDollar) {
  Regexp re("(\\w+)-(\\w+)");
  EXPECT_EQ(re.expand_first("xx foo-bar yy", "$2/$1"), "bar/foo");
  EXPECT_EQ(re.expand_first("xx foo-bar yy", "[$&]"), "[foo-bar]");
  EXPECT_EQ(re.expand_first("foo-bar", "$$1 costs $$"), "$1 costs $");
  EXPECT_EQ(re.expand_first("no match here", "$1"), std::nullopt);
}

TEST(Regexp, GroupsBeyondThoseSetExpandToNothing) {
  Regexp re("(a)(b)?");
  EXPECT_EQ(re.expand_first("a", "<$1|$2|$3|$9>"), "<a|||>");
  Regexp nine("(1)(2)(3)(4)(5)(6)(7)(8)(9)");
  EXPECT_EQ(nine.expand_first("123456789", "$9$8$7$6$5$4$3$2$1"), "987654321");
}

TEST(Regexp, OtherDollarPairsStandForThemselves) {
  Regexp re("(x)");
  EXPECT_EQ(re.expand_first("x", "$0 $a $"), "$0 $a $");
  EXPECT_EQ(re.expand_first("x", "$1$"), "x$");
}

TEST(Regexp, ReplaceKeepsTheRestOfTheSubject) {
  Regexp re("o");
  EXPECT_EQ(re.replace("foo boo", "0", false), "f0o boo");
  EXPECT_EQ(re.replace("foo boo", "0", true), "f00 b00");
  EXPECT_EQ(re.replace("xyz", "0", true), "xyz");
  // The default dir sort transforms of disorder_config(5).
  EXPECT_EQ(Regexp("^(the) ([^/]*)", true).replace("The Beatles", "$2 $1", false), "Beatles The");
  EXPECT_EQ(Regexp("[[:punct:]]").replace("AC/DC's", "", true), "ACDCs");
}

TEST(Regexp, GlobalReplaceStepsOverEmptyMatches) {
  EXPECT_EQ(Regexp("x*").replace("abc", "-", true), "-a-b-c-");
  EXPECT_EQ(Regexp("x*").replace("axxb", "-", true), "-a--b-");
  // A whole character at a time, not a byte.
  EXPECT_EQ(Regexp("").replace("é", "|", true), "|é|");
}

TEST(Regexp, MovesKeepTheCompiledPattern) {
  Regexp a("a+");
  Regexp b = std::move(a);
  EXPECT_TRUE(b.matches("caat"));
  EXPECT_EQ(b.pattern(), "a+");
}

// A pattern with exponential backtracking over a long name: refused at the
// match limit, quickly, rather than tried for seconds and called no match.
TEST(Regexp, CatastrophicBacktrackingReachesTheLimitQuickly) {
  const std::string name = std::string(40, 'a') + ".mp3";
  for (const char* pattern : {"(a+)+$", "(a|aa)+$", "(a*)*$"}) {
    Regexp re(pattern, true);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(re.matches(name), RegexpLimitError) << pattern;
    EXPECT_THROW(re.expand_first(name, "$1"), RegexpLimitError) << pattern;
    EXPECT_THROW(re.replace(name, "x", true), RegexpLimitError) << pattern;
    // Each match stops at Regexp::kMatchLimit: tens of milliseconds at
    // most, even interpreted on a loaded machine.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << pattern;
    // The same pattern on a name it matches or fails at once is fine.
    EXPECT_TRUE(re.matches("aaaa"));
    EXPECT_NO_THROW(re.matches("bbb.mp3"));
  }
}

TEST(Regexp, BoundedMatcherStopsWhenItsBudgetIsSpent) {
  Regexp re("b");
  BoundedMatcher plenty(re, std::chrono::hours(1));
  EXPECT_TRUE(plenty.matches("abc"));
  EXPECT_FALSE(plenty.matches("xyz"));
  BoundedMatcher none(re, std::chrono::seconds(0));
  EXPECT_THROW(none.matches("abc"), RegexpLimitError);
  // Matches that each stay under the match limit but together take longer
  // than the budget: the command stops.
  Regexp slow("(a+)+$");
  BoundedMatcher little(slow, std::chrono::milliseconds(1));
  const std::string name = std::string(14, 'a') + "b"; // thousands of steps, under the limit
  EXPECT_FALSE(slow.matches(name));
  EXPECT_THROW(
      {
        for (int i = 0; i < 1000000; ++i)
          little.matches(name);
      },
      RegexpLimitError);
}
