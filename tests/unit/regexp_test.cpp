// The PCRE2 wrapper and the substitution rules of disorder_config(5)
// "REGEXP SUBSTITUTION RULES".
#include "server/names/regexp.hpp"

#include <gtest/gtest.h>

using disorder::Regexp;
using disorder::RegexpError;

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
