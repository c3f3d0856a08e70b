// disorder-web's JSON: the writer makes valid, browser-safe JSON of any
// bytes; the parser takes what browsers send and refuses the rest.
#include "error.hpp"
#include "web/json.hpp"

#include <gtest/gtest.h>

#include <string>

using disorder::SyntaxError;
using disorder::web::Json;
using disorder::web::JsonWriter;
using disorder::web::parse_json;

TEST(JsonWriter, BuildsNestedDocumentsWithCommas) {
  JsonWriter j;
  j.begin_object().field("a", "x").key("b").begin_array().integer(1).boolean(false).null();
  j.end_array().key("c").begin_object().end_object().end_object();
  EXPECT_EQ(j.str(), R"({"a":"x","b":[1,false,null],"c":{}})");
}

TEST(JsonWriter, EscapesWhatCouldBreakOutOfAStringOrAPage) {
  JsonWriter j;
  j.string("<script>\"q\"\\&\n\x01\x7f\u2028");
  EXPECT_EQ(j.str(), R"("\u003cscript\u003e\"q\"\\\u0026\n\u0001\u007f\u2028")");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
  JsonWriter j;
  j.string("a\xff"
           "b\xc3"
           "\xe2\x80"
           "c\xed\xa0\x80");
  EXPECT_EQ(j.str(), R"("a\ufffdb\ufffd\ufffd\ufffdc\ufffd\ufffd\ufffd")");
  // RTL marks and other valid characters pass through unchanged.
  JsonWriter k;
  k.string("\u202eevil\u200f\U0001F3B5");
  EXPECT_EQ(k.str(), "\"\u202eevil\u200f\U0001F3B5\"");
}

TEST(JsonParser, ReadsWhatBrowsersSend) {
  Json j = parse_json(R"( {"args": ["a", "b\u00e9\ud83c\udfb5", "\"\\\/\n"], "n": -1.5e2,
                           "t": true, "z": null} )");
  ASSERT_TRUE(j.is_object());
  auto args = j.get("args")->as_strings();
  ASSERT_TRUE(args);
  EXPECT_EQ(*args, (std::vector<std::string>{"a", "b\u00e9\U0001F3B5", "\"\\/\n"}));
  EXPECT_EQ(std::get<double>(j.get("n")->value), -150.0);
  EXPECT_EQ(j.get("missing"), nullptr);
  EXPECT_FALSE(j.get("n")->as_string());
  EXPECT_FALSE(j.get("t")->as_strings());
}

TEST(JsonParser, RefusesWhatIsNotJson) {
  for (const char* bad :
       {"", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"unterminated", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00x\"", "tru", "01x", "1e999", "{} {}", "\"a\nb\"", "\"\xff\"", "NaN"})
    EXPECT_THROW(parse_json(bad), SyntaxError) << bad;
}

TEST(JsonParser, RefusesDeepNestingInsteadOfExhaustingTheStack) {
  EXPECT_NO_THROW(parse_json(std::string(30, '[') + std::string(30, ']')));
  EXPECT_THROW(parse_json(std::string(100000, '[') + std::string(100000, ']')), SyntaxError);
}

TEST(JsonParser, ReadsBackWhatTheWriterWrote) {
  const std::string nasty = "tab\t nul-free \x1f <>&\"\\ \u00ff \U0001F600";
  JsonWriter w;
  w.begin_array().string(nasty).end_array();
  auto back = parse_json(w.str()).as_strings();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at(0), nasty);
}
