// Unit tests for the shared protocol/config field syntax.
#include "split.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

using disorder::quote_field;
using disorder::split_fields;
using disorder::SplitMode;
using disorder::SyntaxError;
using V = std::vector<std::string>;

TEST(Split, UnquotedFieldsSeparatedBySpaces) {
  EXPECT_EQ(split_fields("play  /music/a.mp3 x"), (V{"play", "/music/a.mp3", "x"}));
  EXPECT_EQ(split_fields(""), V{});
  EXPECT_EQ(split_fields("   "), V{});
}

TEST(Split, QuotedFieldsAndEscapes) {
  EXPECT_EQ(split_fields(R"(a "b c" 'd e')"), (V{"a", "b c", "d e"}));
  EXPECT_EQ(split_fields(R"("\\ \" \' \n")"), (V{"\\ \" ' \n"}));
  EXPECT_EQ(split_fields(R"('it\'s' "")"), (V{"it's", ""}));
}

TEST(Split, ProtocolRejectsMalformedLines) {
  EXPECT_THROW(split_fields(R"("abc)"), SyntaxError);
  EXPECT_THROW(split_fields(R"("a\x")"), SyntaxError);
  EXPECT_THROW(split_fields(R"("a\)"), SyntaxError);
  EXPECT_THROW(split_fields(R"(ab"c)"), SyntaxError);
  EXPECT_THROW(split_fields(R"("ab"c)"), SyntaxError);
  EXPECT_THROW(split_fields("a\tb"), SyntaxError);
  EXPECT_THROW(split_fields(std::string("a\0b", 3)), SyntaxError);
}

TEST(Split, ConfigModeWhitespaceAndComments) {
  EXPECT_EQ(split_fields("listen\t127.0.0.1  9999 # tcp", SplitMode::config),
            (V{"listen", "127.0.0.1", "9999"}));
  EXPECT_EQ(split_fields("# only a comment", SplitMode::config), V{});
  EXPECT_EQ(split_fields(R"(x "a # b" c#d)", SplitMode::config), (V{"x", "a # b", "c"}));
  EXPECT_EQ(split_fields(R"(x a"b)", SplitMode::config), (V{"x", "a\"b"}));
  EXPECT_THROW(split_fields(R"(x "a\tb")", SplitMode::config), SyntaxError);
}

TEST(Split, QuoteRoundTrips) {
  for (std::string s : {"", "plain", "with space", "quo\"te", "apo'strophe", "back\\slash",
                        "new\nline", "#hash", "tab\there", "\xc3\xa9t\xc3\xa9"}) {
    auto q = quote_field(s);
    auto back = split_fields(q);
    ASSERT_EQ(back.size(), 1u) << q;
    EXPECT_EQ(back[0], s) << q;
  }
  EXPECT_EQ(quote_field("plain"), "plain");
  EXPECT_EQ(quote_field(""), "\"\"");
  EXPECT_EQ(disorder::quote_fields({"a", "b c"}), "a \"b c\"");
}
