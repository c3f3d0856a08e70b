// Parsing and formatting of rights lists.
#include "rights.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

using namespace disorder;

TEST(Rights, ParseAcceptsSpacesUnderscoresAndHyphens) {
  EXPECT_EQ(parse_rights("read,play"), right::read | right::play);
  EXPECT_EQ(parse_rights("move any, move_mine,move-random"), right::move);
  EXPECT_EQ(parse_rights("global prefs"), right::global_prefs);
  EXPECT_EQ(parse_rights("global_prefs,scratch  any"), right::global_prefs | right::scratch_any);
  EXPECT_EQ(parse_rights(""), right::none);
  EXPECT_EQ(parse_rights("all"), right::all);
}

TEST(Rights, UnknownRightIsNamed) {
  try {
    parse_rights("read,fly");
    FAIL() << "no exception";
  } catch (const SyntaxError& e) {
    EXPECT_STREQ(e.what(), "unknown right 'fly'");
  }
}

TEST(Rights, FormatIsDisOrdersAndRoundTrips) {
  // DisOrder's server writes spaces, and its clients parse only that form.
  EXPECT_EQ(format_rights(right::play | right::read | right::scratch_mine | right::global_prefs),
            "read,play,scratch mine,global prefs");
  EXPECT_EQ(format_rights(right::move_any | right::pause, RightsSpelling::underscores),
            "move_any,pause");
  EXPECT_EQ(parse_rights(format_rights(right::default_set)), right::default_set);
  EXPECT_EQ(format_rights(right::none), "");
}
