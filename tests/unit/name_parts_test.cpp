// Track name parts, aliases and tags, without a server: the namepart rules
// of disorder_config(5) (the default set and rules of one's own), the order
// of precedence of preferences, file tags and rules, alias patterns, and the
// comparison of tags.
#include "server/names/aliases.hpp"
#include "server/names/name_parts.hpp"
#include "server/names/tags.hpp"

#include <gtest/gtest.h>

using namespace disorder;

namespace {

TrackFacts track(std::string name, std::string root = "/music") {
  TrackFacts t;
  t.name = std::move(name);
  t.root = std::move(root);
  return t;
}

} // namespace

TEST(NameParts, DefaultRules) {
  NameParts parts(default_nameparts());
  auto t = track("/music/Some Artist/An Album/07 - A Song.flac");
  EXPECT_EQ(parts.part(t, "display", "artist"), "Some Artist");
  EXPECT_EQ(parts.part(t, "display", "album"), "An Album");
  EXPECT_EQ(parts.part(t, "display", "title"), "A Song");
  EXPECT_EQ(parts.part(t, "sort", "title"), "07 - A Song");
  EXPECT_EQ(parts.part(t, "sort", "artist"), "Some Artist");
  EXPECT_EQ(parts.part(t, "display", "ext"), ".flac");
  EXPECT_EQ(parts.part(t, "display", "path"), t.name);
  EXPECT_EQ(parts.part(t, "display", "genre"), "");
}

// A rule whose regexp reaches the match limit on a name does not match it:
// the next rule for the part applies, and every other name still works.
TEST(NameParts, ARuleThatReachesTheMatchLimitCountsAsNoMatch) {
  NameParts parts({{"title", "(a+)+$", "never", "*", ""}, {"title", "/([^/]+)$", "$1", "*", ""}});
  const std::string slow = "/music/" + std::string(40, 'a') + ".mp3";
  EXPECT_EQ(parts.part(track(slow), "display", "title"), std::string(40, 'a') + ".mp3");
  EXPECT_EQ(parts.part(track(slow), "display", "title"), std::string(40, 'a') + ".mp3");
  EXPECT_EQ(parts.part(track("/music/aaa"), "display", "title"), "never");
}

TEST(NameParts, RootIsRemovedBeforeTheRulesApply) {
  NameParts parts(default_nameparts());
  // Directly below the root: there is no artist, and the album is not the
  // root's own name.
  auto t = track("/srv/music/Album/01 Song.mp3", "/srv/music");
  EXPECT_EQ(parts.part(t, "display", "album"), "Album");
  EXPECT_EQ(parts.part(t, "display", "artist"), "");
  auto loose = track("/srv/music/Loose.mp3", "/srv/music");
  EXPECT_EQ(parts.part(loose, "display", "album"), "");
  EXPECT_EQ(parts.part(loose, "display", "title"), "Loose");
  EXPECT_EQ(relative_name("/srv/music/a/b.mp3", "/srv/music"), "/a/b.mp3");
  EXPECT_EQ(relative_name("/srv/musical/b.mp3", "/srv/music"), "/srv/musical/b.mp3");
  EXPECT_EQ(relative_name("/a/b.mp3", ""), "/a/b.mp3");
}

TEST(NameParts, FirstMatchingRuleForThePartAndContextWins) {
  std::vector<NamePart> rules{
      {"title", "^/x/(.*)$", "x:$1", "sort", ""},
      {"title", "/([^/]+)\\.MP3$", "$1!", "disp*", "i"},
      {"title", "/([^/]+)$", "$1", "*", ""},
      {"artist", "^/([^/]+)/", "$1", "*", ""},
  };
  NameParts parts(rules);
  auto t = track("/music/x/song.mp3");
  EXPECT_EQ(parts.from_rules("/x/song.mp3", "sort", "title"), "x:song.mp3");
  EXPECT_EQ(parts.from_rules("/x/song.mp3", "display", "title"), "song!");
  EXPECT_EQ(parts.from_rules("/x/song.ogg", "display", "title"), "song.ogg");
  EXPECT_EQ(parts.from_rules("/x/song.ogg", "display", "artist"), "x");
  EXPECT_EQ(parts.from_rules("/x/song.ogg", "display", "album"), "");
  // No ext rule at all: the built-in part ext still answers.
  EXPECT_EQ(parts.part(t, "display", "ext"), ".mp3");
  EXPECT_EQ(parts.part(track("/music/x/README"), "display", "ext"), "");
}

TEST(NameParts, PreferencesThenFileTagsThenRules) {
  NameParts parts(default_nameparts());
  auto t = track("/music/Path Artist/Path Album/01 - Path Title.ogg");
  t.tags = {{"artist", "Tag Artist"}, {"title", "Tag Title"}, {"album", ""}};
  EXPECT_EQ(parts.part(t, "display", "artist"), "Tag Artist");
  EXPECT_EQ(parts.part(t, "sort", "title"), "Tag Title");
  // An empty tag does not count.
  EXPECT_EQ(parts.part(t, "display", "album"), "Path Album");
  t.prefs["trackname_artist"] = "Pref Artist";
  EXPECT_EQ(parts.part(t, "display", "artist"), "Pref Artist");
  EXPECT_EQ(parts.part(t, "sort", "artist"), "Pref Artist");
  t.prefs["trackname_sort_artist"] = "Artist, Pref";
  EXPECT_EQ(parts.part(t, "sort", "artist"), "Artist, Pref");
  EXPECT_EQ(parts.part(t, "display", "artist"), "Pref Artist");
  // A preference may set a part to nothing.
  t.prefs["trackname_display_title"] = "";
  EXPECT_EQ(parts.part(t, "display", "title"), "");
  // path is built in and cannot be renamed.
  t.prefs["trackname_path"] = "/elsewhere";
  EXPECT_EQ(parts.part(t, "display", "path"), t.name);
}

TEST(NameParts, BadRegexpNamesTheRule) {
  try {
    NameParts parts({{"album", "([", "$1", "*", ""}});
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("namepart album: ", 0), 0u) << e.what();
  }
}

TEST(Aliases, PatternExpansion) {
  auto part = [](std::string_view name) -> std::string {
    if (name == "artist") return "A";
    if (name == "album") return "";
    if (name == "title") return "T";
    if (name == "ext") return ".mp3";
    return "?";
  };
  EXPECT_EQ(expand_alias("{/artist}{/album}{/title}{ext}", "/r", part), "/r/A/T.mp3");
  EXPECT_EQ(expand_alias("/{artist} - {title}{ext}", "/r", part), "/r/A - T.mp3");
  EXPECT_EQ(expand_alias("/x{album}y{/album}z", "", part), "/xyz");
  EXPECT_EQ(expand_alias("/{unclosed", "/r", part), "/r/{unclosed");
}

TEST(Aliases, DisplayPartsUnderTheRoot) {
  NameParts parts(default_nameparts());
  auto t = track("/music/Old Artist/Album/03 - Title.mp3");
  EXPECT_FALSE(has_trackname_prefs(t));
  t.prefs["tags"] = "x";
  t.prefs["weight"] = "1";
  EXPECT_FALSE(has_trackname_prefs(t));
  t.prefs["trackname_display_artist"] = "New Artist";
  EXPECT_TRUE(has_trackname_prefs(t));
  EXPECT_EQ(alias_of(parts, "{/artist}{/album}{/title}{ext}", t),
            "/music/New Artist/Album/Title.mp3");
}

TEST(Tags, SplitAtCommasTrimmed) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_tags(" rock , slow  dance,,  "), (V{"rock", "slow  dance"}));
  EXPECT_EQ(split_tags(""), V{});
  EXPECT_EQ(split_tags("one"), V{"one"});
}

TEST(Tags, KeysIgnoreCaseAccentsAndSpacing) {
  EXPECT_EQ(tag_key("  Café   Crème "), tag_key("cafe creme"));
  EXPECT_EQ(tag_key("CAFÉ"), tag_key("cafe\u0301"));
  EXPECT_EQ(tag_key("Straße"), tag_key("STRASSE"));
  EXPECT_EQ(tag_key("a\tb"), tag_key("a b"));
  EXPECT_NE(tag_key("ab"), tag_key("a b"));
  EXPECT_EQ(tag_key(" \u0301 "), "");
  EXPECT_THROW(tag_key("\xff"), SyntaxError);
}

TEST(Tags, NormalisedAsDisOrderDoes) {
  EXPECT_EQ(normalise_tag("  First   Tag "), "first tag");
  EXPECT_EQ(normalise_tag("Café\u00A0Crème"), "café crème"); // accents kept
  EXPECT_EQ(normalise_tag("CAFE\u0301"), "caf\u00e9");       // composed (NFC)
  EXPECT_EQ(normalise_tag("Straße"), "strasse");
  EXPECT_EQ(normalise_tag(" \t "), "");
  EXPECT_THROW(normalise_tag("\xff"), SyntaxError);
  EXPECT_EQ(normalise_tags("  first   tag, Another Tag"), "first tag, another tag");
  // Empty tags and repeats are left out; the order is kept.
  EXPECT_EQ(normalise_tags("b,,  A , a, B  ,"), "b, a");
  EXPECT_EQ(normalise_tags(" , "), "");
  // Normalising twice changes nothing, and keys do not change either.
  EXPECT_EQ(normalise_tags("first tag, another tag"), "first tag, another tag");
  EXPECT_EQ(tag_key(normalise_tag("  Café   Crème ")), tag_key("  Café   Crème "));
  // Values read back from an older database that are not UTF-8 stay as they are.
  EXPECT_EQ(normalised_tags_or_same("A,\xff"), "A,\xff");
  EXPECT_EQ(normalised_tags_or_same("A , B"), "a, b");
}
