// Unit tests for the protocol framing: response lines, dot-stuffed bodies
// both ways, line splitting, and what they do with malformed input.
#include "protocol.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

using namespace disorder;
using V = std::vector<std::string>;

namespace {

// Decode a whole encoded body the way a reader would: split into lines,
// feed them until the terminator.  Returns the lines and what was left.
std::pair<V, std::string> decode(const std::string& wire) {
  LineReader reader;
  reader.append(wire);
  BodyDecoder decoder;
  while (auto line = reader.next_line()) {
    if (decoder.add_line(*line)) break;
  }
  EXPECT_TRUE(decoder.complete());
  std::string rest;
  while (auto line = reader.next_line())
    rest += *line + "\n";
  return {decoder.take_lines(), rest};
}

} // namespace

TEST(Response, ParsesCodeAndText) {
  auto r = parse_response("231 2 sha1 0123abcd");
  EXPECT_EQ(r.code, 231);
  EXPECT_EQ(r.text, "2 sha1 0123abcd");
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.has_body());
  EXPECT_EQ(r.fields(), (V{"2", "sha1", "0123abcd"}));

  r = parse_response("530 authentication failed");
  EXPECT_EQ(r.code, 530);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.text, "authentication failed");
}

TEST(Response, BodyAndEndlessBodyDigits) {
  EXPECT_TRUE(parse_response("253 Users follow").has_body());
  EXPECT_FALSE(parse_response("253 Users follow").has_endless_body());
  EXPECT_TRUE(parse_response("254 OK").has_endless_body());
  EXPECT_FALSE(parse_response("252 yes").has_body());
}

TEST(Response, CodeAloneOrWithEmptyText) {
  auto r = parse_response("250");
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.text, "");
  r = parse_response("250 ");
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.text, "");
  // The text is kept byte for byte, spaces included.
  EXPECT_EQ(parse_response("252  \"a b\" ").text, " \"a b\" ");
}

TEST(Response, QuotedValueField) {
  EXPECT_EQ(parse_response("252 \"two words\"").fields(), V{"two words"});
  EXPECT_THROW(parse_response("252 \"unterminated").fields(), SyntaxError);
}

TEST(Response, RejectsMalformedLines) {
  for (const std::string& bad : std::vector<std::string>{"", "2", "23", "23x OK", "abc", "2300 OK",
                                                         "230OK", "-30 OK", " 230 OK", "099 x",
                                                         std::string("2\0"
                                                                     "0 x",
                                                                     5)})
    EXPECT_THROW(parse_response(bad), SyntaxError) << bad;
}

TEST(Response, FormatRoundTrips) {
  EXPECT_EQ(format_response(252, "yes"), "252 yes\n");
  auto line = format_response(500, "syntax error");
  line.pop_back();
  auto r = parse_response(line);
  EXPECT_EQ(r.code, 500);
  EXPECT_EQ(r.text, "syntax error");
  EXPECT_THROW(format_response(250, "a\nb"), SyntaxError);
  EXPECT_THROW(format_response(42, "x"), SyntaxError);
  EXPECT_THROW(format_response(1000, "x"), SyntaxError);
}

TEST(DotStuff, EncodesLinesAndTerminator) {
  EXPECT_EQ(dot_stuff({}), ".\n");
  EXPECT_EQ(dot_stuff({"a", "b"}), "a\nb\n.\n");
  EXPECT_EQ(dot_stuff({".", ".hidden", "..", "x.y", ""}), "..\n..hidden\n...\nx.y\n\n.\n");
  EXPECT_EQ(dot_stuff({""}), "\n.\n");
}

TEST(DotStuff, RejectsLineFeedInLine) {
  EXPECT_THROW(dot_stuff({"ok", "bad\nline"}), SyntaxError);
}

TEST(DotStuff, RoundTrips) {
  const std::vector<V> cases{
      {},
      {""},
      {"", ""},
      {"."},
      {".", "."},
      {"..", "...", ". leading dot and space"},
      {"plain", "", ".dot", "with \"quotes\" and 'apostrophes'", "tab\there", "\xc3\xa9t\xc3\xa9"},
      {std::string("nul\0byte", 8), "\r", "trailing\r"},
  };
  for (const auto& lines : cases) {
    auto [decoded, rest] = decode(dot_stuff(lines));
    EXPECT_EQ(decoded, lines);
    EXPECT_EQ(rest, "");
  }
}

TEST(DotStuff, DecoderStopsAtTerminatorLeavingTheRest) {
  auto [decoded, rest] = decode(dot_stuff({"a"}) + "250 next reply\n");
  EXPECT_EQ(decoded, V{"a"});
  EXPECT_EQ(rest, "250 next reply\n");
}

TEST(DotStuff, UnstuffLine) {
  EXPECT_EQ(unstuff_line("."), std::nullopt);
  EXPECT_EQ(unstuff_line(".."), ".");
  EXPECT_EQ(unstuff_line("..x"), ".x");
  EXPECT_EQ(unstuff_line("x"), "x");
  EXPECT_EQ(unstuff_line(""), "");
  // Unstuffed by a careless sender: the intent is clear, so accepted.
  EXPECT_EQ(unstuff_line(".x"), "x");
}

TEST(DotStuff, DecoderCompletionAndReuse) {
  BodyDecoder d;
  EXPECT_FALSE(d.complete());
  EXPECT_FALSE(d.add_line("one"));
  EXPECT_FALSE(d.add_line(""));
  EXPECT_TRUE(d.add_line("."));
  EXPECT_TRUE(d.complete());
  EXPECT_THROW(d.add_line("late"), Error);
  EXPECT_EQ(d.take_lines(), (V{"one", ""}));
  EXPECT_FALSE(d.complete());
  EXPECT_TRUE(d.add_line("."));
  EXPECT_EQ(d.take_lines(), V{});
}

TEST(LineReader, SplitsAcrossArbitraryChunks) {
  const std::string wire = "231 2 sha1 00ff\n230 OK\n\n253 x\nlast";
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    LineReader r;
    V lines;
    for (std::size_t i = 0; i < wire.size(); i += chunk) {
      r.append(std::string_view(wire).substr(i, chunk));
      while (auto l = r.next_line())
        lines.push_back(*l);
    }
    EXPECT_EQ(lines, (V{"231 2 sha1 00ff", "230 OK", "", "253 x"})) << chunk;
    EXPECT_TRUE(r.has_partial());
  }
}

TEST(LineReader, NoPartialAfterCompleteLines) {
  LineReader r;
  EXPECT_FALSE(r.has_partial());
  r.append("a\n");
  EXPECT_TRUE(r.has_partial()); // not yet taken out
  EXPECT_EQ(r.next_line(), "a");
  EXPECT_FALSE(r.has_partial());
  EXPECT_EQ(r.next_line(), std::nullopt);
}

TEST(LineReader, RejectsOverlongLines) {
  LineReader r(8);
  r.append("12345678\n");
  EXPECT_EQ(r.next_line(), "12345678");
  r.append("12345");
  EXPECT_EQ(r.next_line(), std::nullopt);
  EXPECT_THROW(r.append("6789"), ProtocolError);

  LineReader whole(8);
  whole.append("123456789\nok\n");
  EXPECT_THROW(whole.next_line(), ProtocolError);
}
