// Unit tests for disorder-dump's file format: every byte string comes back
// as it went in, and a file from a newer version, one cut short or one
// with a damaged record is refused with an error that says where.
#include "dump/dump_format.hpp"
#include "dump/peer_format.hpp"

#include <gtest/gtest.h>

using namespace disorder;

namespace {

DumpData sample() {
  DumpData d;
  d.users.push_back({"alice", "pass word\n\"'\\#\t\x01", right::read | right::play, "a@example.com",
                     1700000000, std::nullopt});
  d.users.push_back({"bob", "", right::none, "", 0, std::string("c0ffee")});
  d.globals.push_back({"playing", "no"});
  d.globals.push_back({"required-tags", ""});
  d.prefs.push_back({"/music/a b.ogg", "tags", "x, y"});
  d.prefs.push_back({"/music/line\nfeed.ogg", "trackname_display_title", "Line\nFeed"});
  d.playlists.push_back({"alice.mine", "private", {"/music/a b.ogg", "/music/c.ogg"}});
  d.playlists.push_back({"empty", "shared", {}});
  d.schedule.push_back({"e1", 1800000000, "alice", "normal", "play", "/music/a b.ogg", "", {}});
  d.schedule.push_back({"e2", 1800000001, "root", "junk", "set-global", "", "random-play", "no"});
  d.schedule.push_back({"e3", 1800000002, "root", "junk", "set-global", "", "playing", {}});
  return d;
}

std::string error_of(std::string_view text) {
  try {
    parse_dump(text);
  } catch (const DumpFormatError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(DumpFormat, RoundTripsEveryField) {
  const DumpData d = sample();
  const std::string text = format_dump(d);
  EXPECT_TRUE(text.starts_with("disorder-dump 1\n"));
  EXPECT_TRUE(text.ends_with("\nschedule e3 1800000002 root junk set-global playing\nend 11\n"))
      << text;
  EXPECT_TRUE(is_own_dump(text));
  EXPECT_EQ(parse_dump(text), d);
}

TEST(DumpFormat, EmptyDump) {
  EXPECT_EQ(format_dump({}), "disorder-dump 1\nend 0\n");
  EXPECT_EQ(parse_dump("disorder-dump 1\nend 0\n"), DumpData{});
}

TEST(DumpFormat, RefusesNewerVersions) {
  EXPECT_NE(error_of("disorder-dump 2\nend 0\n").find("newer version of disorder-dump (format 2"),
            std::string::npos);
  EXPECT_NE(error_of("disorder-dump x\nend 0\n").find("bad format version"), std::string::npos);
}

TEST(DumpFormat, RefusesTruncatedFiles) {
  const std::string text = format_dump(sample());
  // Cut anywhere: every prefix but the whole file is refused.
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_THROW(parse_dump(text.substr(0, n)), DumpFormatError) << n;
  EXPECT_NE(error_of("disorder-dump 1\nglobal a b\n").find("truncated"), std::string::npos);
  EXPECT_NE(error_of("disorder-dump 1\nglobal a b\nend 0").find("truncated"), std::string::npos);
}

TEST(DumpFormat, RefusesMissingLinesAndTrailingData) {
  EXPECT_EQ(error_of("disorder-dump 1\nglobal a b\nend 2\n"),
            "line 3: the end line counts 2 records but the file holds 1: lines are missing");
  EXPECT_EQ(error_of("disorder-dump 1\nend 0\nglobal a b\n"), "line 3: data after the end line");
}

TEST(DumpFormat, RefusesMalformedRecords) {
  EXPECT_EQ(error_of("disorder-dump 1\nfrob x\nend 1\n"), "line 2: unknown record 'frob'");
  EXPECT_EQ(error_of("disorder-dump 1\nglobal a\nend 1\n"),
            "line 2: a global record is: global NAME VALUE");
  EXPECT_EQ(error_of("disorder-dump 1\nglobal \"a\nend 1\n"), "line 2: unterminated quoted string");
  EXPECT_EQ(error_of("disorder-dump 1\nuser u password p rights read\nend 1\n"),
            "line 2: user 'u' has no created");
  EXPECT_EQ(error_of("disorder-dump 1\nuser u password p rights fly created 0\nend 1\n"),
            "line 2: user 'u': unknown right 'fly'");
  EXPECT_EQ(error_of("disorder-dump 1\nuser u password p rights read created 0 shoe 9\nend 1\n"),
            "line 2: user 'u': unknown property 'shoe'");
  EXPECT_EQ(error_of("disorder-dump 1\nglobal a b\nglobal a c\nend 2\n"),
            "line 3: global preference 'a' appears twice");
  EXPECT_EQ(error_of("disorder-dump 1\nschedule e 1 u junk fly x\nend 1\n"),
            "line 2: scheduled event 'e': unknown action 'fly'");
  EXPECT_EQ(error_of("disorder-dump 1\nschedule e 1 u junk play\nend 1\n"),
            "line 2: a schedule record is: schedule ID WHEN WHO PRIORITY play TRACK, or schedule "
            "ID WHEN WHO PRIORITY set-global KEY [VALUE]");
  EXPECT_EQ(error_of("hello\n"),
            "line 1: not a disorder-dump file (it does not start with 'disorder-dump')");
  EXPECT_EQ(error_of(""), "the file is empty");
}

// DisOrder 5.2's format, written here by hand as disorder-dump(8)
// COMPATIBILITY describes it.
namespace {

const char kPeer[] =
    "V0P/music/a%20b.ogg\n"
    "weight%3d5%26tags%3dKeeper%252c%2520Other%26comment%3dsay%2520%2522hi%2522%250a\n"
    "G_dbversion\n2\n"
    "Grequired-tags\nkeeper\n"
    "Ualice\n"
    "password%3dp%2525%2526%253d%26rights%3dread%252cmove%2520any%26created%3d17\n"
    "Uroot\npassword%3dr%26rights%3dall%26created%3d1%26email%3dr%2540x%26shoe%3d1\n"
    "Wabc\nwho%3droot%26when%3d9%26priority%3djunk%26action%3dplay%26track%3d/x\n"
    "Wdef\nwho%3dalice%26when%3d10%26priority%3dnormal%26action%3dset-global"
    "%26key%3drandom-play\n"
    "Lparty\nsharing%3dshared%260%3d/music/a%2520b.ogg%26count%3d1\n"
    "Lalice.none\nsharing%3dprivate%26count%3d0\n"
    "E\n";

std::string peer_error(std::string_view text) {
  std::vector<std::string> notes;
  try {
    parse_peer_dump(text, notes);
  } catch (const DumpFormatError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(PeerDumpFormat, ReadsWhatDisOrderWrites) {
  std::vector<std::string> notes;
  ASSERT_TRUE(is_peer_dump(kPeer));
  ASSERT_FALSE(is_own_dump(kPeer));
  DumpData d = parse_peer_dump(kPeer, notes);
  EXPECT_EQ(d.prefs, (std::vector<DumpPref>{{"/music/a b.ogg", "weight", "5"},
                                            {"/music/a b.ogg", "tags", "Keeper, Other"},
                                            {"/music/a b.ogg", "comment", "say \"hi\"\n"}}));
  EXPECT_EQ(d.globals, (std::vector<DumpGlobal>{{"required-tags", "keeper"}}));
  ASSERT_EQ(d.users.size(), 2u);
  EXPECT_EQ(d.users[0],
            (DumpUser{"alice", "p%&=", right::read | right::move_any, "", 17, std::nullopt}));
  EXPECT_EQ(d.users[1], (DumpUser{"root", "r", right::all, "r@x", 1, std::nullopt}));
  EXPECT_EQ(d.playlists, (std::vector<DumpPlaylist>{{"party", "shared", {"/music/a b.ogg"}},
                                                    {"alice.none", "private", {}}}));
  EXPECT_EQ(d.schedule, (std::vector<DumpEvent>{{"abc", 9, "root", "junk", "play", "/x", "", {}},
                                                {"def", 10, "alice", "normal", "set-global", "",
                                                 "random-play", std::nullopt}}));
  EXPECT_EQ(notes, (std::vector<std::string>{
                       "global preference '_dbversion' left out: it is DisOrder's own bookkeeping",
                       "user 'root': property 'shoe' left out: it has no meaning here"}));
}

TEST(PeerDumpFormat, RefusesTruncatedAndOtherVersions) {
  const std::string text = kPeer;
  for (size_t n = 0; n < text.size() - 1; ++n)
    EXPECT_NE(peer_error(text.substr(0, n)), "") << n;
  EXPECT_EQ(peer_error("V0Gx\ny\n"),
            "the DisOrder dump is truncated: it ends after record 1 without the end marker");
  EXPECT_EQ(peer_error("V1E\n"),
            "the DisOrder dump has format version 1; this program reads version 0 (DisOrder 5.2)");
  EXPECT_EQ(peer_error("V0Gx\ny\nE\nGz\nw\n"),
            "DisOrder dump, record 1: data after the end marker");
}

TEST(PeerDumpFormat, RefusesDamagedRecords) {
  EXPECT_EQ(peer_error("V0Gx\n%4\nE\n"), "DisOrder dump, record 1: bad percent escape in a value");
  EXPECT_EQ(peer_error("V0Qx\ny\nE\n"), "DisOrder dump, record 1: unknown record type 'Q'");
  EXPECT_EQ(peer_error("V0Lp\nsharing%3dshared%26count%3d2%260%3da\nE\n"),
            "DisOrder dump, record 1: playlist 'p' is damaged: it does not hold count tracks");
  EXPECT_EQ(peer_error("V0Ux\nrights%3dread\nE\n"),
            "DisOrder dump, record 1: user 'x' has no password");
  EXPECT_EQ(peer_error("V0Wx\nwho%3da%26when%3d1%26priority%3djunk%26action%3dplay\nE\n"),
            "DisOrder dump, record 1: scheduled event 'x' has no track");
  EXPECT_EQ(peer_error("V0Ga\nb\nGa\nc\nE\n"),
            "DisOrder dump, record 2: global preference 'a' appears twice");
}
