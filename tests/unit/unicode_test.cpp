// Encoding conversion, NFC normalisation and printable escaping.
#include "unicode.hpp"

#include <gtest/gtest.h>

using namespace disorder;

TEST(EncodingConverter, Utf8ToUtf8ValidatesOnly) {
  EncodingConverter c("utf-8", "UTF-8");
  std::string out;
  ASSERT_TRUE(c.convert("caf\xc3\xa9", out));
  EXPECT_EQ(out, "caf\xc3\xa9");
  EXPECT_FALSE(c.convert("caf\xe9", out)); // Latin-1 bytes are not UTF-8
  EXPECT_FALSE(c.convert("\xc3", out));    // truncated sequence
}

TEST(EncodingConverter, Latin1ToUtf8) {
  EncodingConverter c("ISO-8859-1", "UTF-8");
  std::string out;
  ASSERT_TRUE(c.convert("caf\xe9 \xfc\xdf", out));
  EXPECT_EQ(out, "caf\xc3\xa9 \xc3\xbc\xc3\x9f");
  ASSERT_TRUE(c.convert("", out));
  EXPECT_EQ(out, "");
  // Every byte is valid Latin-1, so long input only exercises buffer growth.
  std::string longer(1000, '\xe9');
  ASSERT_TRUE(c.convert(longer, out));
  EXPECT_EQ(out.size(), 2000u);
}

TEST(EncodingConverter, Utf8ToLatin1RefusesWhatItCannotRepresent) {
  EncodingConverter c("UTF-8", "ISO-8859-1");
  std::string out;
  ASSERT_TRUE(c.convert("caf\xc3\xa9", out));
  EXPECT_EQ(out, "caf\xe9");
  EXPECT_FALSE(c.convert("\xe2\x82\xac", out)); // the euro sign is not in Latin-1
  EXPECT_FALSE(c.convert("caf\xe9", out));      // input is not UTF-8
}

TEST(EncodingConverter, InvalidInputInMultibyteEncoding) {
  EncodingConverter c("SHIFT_JIS", "UTF-8");
  std::string out;
  ASSERT_TRUE(c.convert("\x82\xa0", out)); // HIRAGANA LETTER A
  EXPECT_EQ(out, "\xe3\x81\x82");
  EXPECT_FALSE(c.convert("\x82", out)); // incomplete
}

TEST(EncodingConverter, UnknownEncodingThrows) {
  EXPECT_THROW(EncodingConverter("NO-SUCH-ENCODING-42", "UTF-8"), EncodingError);
}

TEST(EncodingName, RecognisesUtf8Spellings) {
  EXPECT_TRUE(is_utf8_encoding_name("UTF-8"));
  EXPECT_TRUE(is_utf8_encoding_name("utf8"));
  EXPECT_TRUE(is_utf8_encoding_name("Utf_8"));
  EXPECT_FALSE(is_utf8_encoding_name("UTF-16"));
  EXPECT_FALSE(is_utf8_encoding_name("iso-8859-1"));
}

TEST(Nfc, ComposesDecomposedInput) {
  std::string out;
  // "e" + COMBINING ACUTE ACCENT becomes U+00E9.
  ASSERT_TRUE(nfc_normalize("cafe\xcc\x81", out));
  EXPECT_EQ(out, "caf\xc3\xa9");
  // Already NFC and ASCII are unchanged.
  ASSERT_TRUE(nfc_normalize("caf\xc3\xa9", out));
  EXPECT_EQ(out, "caf\xc3\xa9");
  ASSERT_TRUE(nfc_normalize("plain/ascii.mp3", out));
  EXPECT_EQ(out, "plain/ascii.mp3");
  // Hangul syllable from its jamo; A + RING ABOVE + ACUTE -> U+01FA.
  EXPECT_EQ(to_nfc("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"), "\xed\x95\x9c");
  EXPECT_EQ(to_nfc("A\xcc\x8a\xcc\x81"), "\xc7\xba");
  // Long input (beyond the stack buffer) still works.
  std::string long_nfd;
  for (int i = 0; i < 400; ++i)
    long_nfd += "e\xcc\x81";
  std::string long_nfc;
  for (int i = 0; i < 400; ++i)
    long_nfc += "\xc3\xa9";
  EXPECT_EQ(to_nfc(long_nfd), long_nfc);
}

TEST(Nfc, RefusesInvalidUtf8) {
  std::string out;
  EXPECT_FALSE(nfc_normalize("caf\xe9", out));
  EXPECT_THROW(to_nfc("\xff"), SyntaxError);
}

TEST(Printable, EscapesWhatATerminalShouldNotSee) {
  EXPECT_EQ(printable("/music/caf\xc3\xa9.mp3"), "/music/caf\xc3\xa9.mp3");
  EXPECT_EQ(printable("/music/caf\xe9.mp3"), "/music/caf\\xe9.mp3");
  EXPECT_EQ(printable("a\nb\\c\x7f"), "a\\x0ab\\\\c\\x7f");
  EXPECT_EQ(printable("\xc2\x85"), "\\xc2\\x85"); // NEL, a C1 control
}

TEST(Printable, CutsLongTextAtACharacterBoundary) {
  EXPECT_EQ(printable(std::string(10, 'a'), 4), "aaaa...(6 more bytes)");
  EXPECT_EQ(printable("abc\xc3\xa9z", 4), "abc...(3 more bytes)");
  EXPECT_EQ(printable("abc\xc3\xa9z", 5), "abc\xc3\xa9...(1 more bytes)");
  EXPECT_EQ(printable("short", 4096), "short");
}

// one_line(): the guard on every log message and reply line.
TEST(OneLine, ControlCharactersCannotStartANewLine) {
  EXPECT_EQ(one_line("x\n250 OK", 100), "x\\x0a250 OK");
  EXPECT_EQ(one_line("a\rb\tc\x7f", 100), "a\\x0db\\x09c\\x7f");
  EXPECT_EQ(one_line(std::string("nul\0", 4), 100), "nul\\x00");
}

TEST(OneLine, LeavesPrintableTextAsItIs) {
  const std::string p = printable("caf\xc3\xa9\\\n\xff");
  EXPECT_EQ(one_line(p, 100), p);
  EXPECT_EQ(one_line("caf\xc3\xa9 \xf0\x9f\x8e\xb5", 100), "caf\xc3\xa9 \xf0\x9f\x8e\xb5");
}

TEST(OneLine, CutsLongTextAtACharacterBoundary) {
  EXPECT_EQ(one_line(std::string(1 << 20, 'x'), 4096),
            std::string(4096, 'x') + "...(" + std::to_string((1 << 20) - 4096) + " more bytes)");
  EXPECT_EQ(one_line("abc\xc3\xa9z", 4), "abc...(3 more bytes)");
  EXPECT_EQ(one_line("abc\xc3\xa9z", 5), "abc\xc3\xa9...(1 more bytes)");
  EXPECT_EQ(one_line("ab\xf0\x9f\x8e\xb5", 5), "ab...(4 more bytes)");
}
