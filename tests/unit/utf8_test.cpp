// UTF-8 validation.
#include "utf8.hpp"

#include <gtest/gtest.h>

using disorder::valid_utf8;

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5"));
}

TEST(Utf8, RejectsMalformed) {
  EXPECT_FALSE(valid_utf8("\xc3"));             // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));     // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe9t\xe9"));        // Latin-1
  EXPECT_FALSE(valid_utf8("\x80"));
}
