// The rescanner's pure pieces: track names, which files are tracks, search
// words, and the crash guard's record of the file being read.
#include "search_words.hpp"
#include "server/rescan/crash_guard.hpp"
#include "server/rescan/track_filter.hpp"
#include "server/rescan/track_name.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <unistd.h>

using namespace disorder;

TEST(TrackName, ConvertsAndNormalisesComponents) {
  TrackNamer latin1("ISO-8859-1");
  std::string out;
  ASSERT_TRUE(latin1.component("caf\xe9.mp3", out));
  EXPECT_EQ(out, "caf\xc3\xa9.mp3");
  TrackNamer utf8("UTF-8");
  ASSERT_TRUE(utf8.component("cafe\xcc\x81.mp3", out)); // NFD
  EXPECT_EQ(out, "caf\xc3\xa9.mp3");
  EXPECT_FALSE(utf8.component("caf\xe9.mp3", out));
  EXPECT_THROW(TrackNamer("NO-SUCH-ENCODING-42"), EncodingError);
}

TEST(TrackName, Ranges) {
  EXPECT_EQ(dir_part("/music/a/b.mp3"), "/music/a");
  EXPECT_EQ(dir_part("/b.mp3"), "/");
  EXPECT_EQ(below_begin("/music"), "/music/");
  EXPECT_EQ(below_end("/music"), "/music0");
  EXPECT_EQ(below_begin("/"), "/");
  EXPECT_EQ(below_end("/"), "0");
  EXPECT_TRUE(is_at_or_below("/music/a", "/music"));
  EXPECT_TRUE(is_at_or_below("/music", "/music"));
  EXPECT_FALSE(is_at_or_below("/music2/a", "/music"));
  EXPECT_TRUE(is_at_or_below("/x", "/"));
}

TEST(TrackFilter, BuiltInExtensionsIgnoreCase) {
  TrackFilter filter({});
  EXPECT_TRUE(filter.built_in());
  for (const char* name :
       {"/m/a.mp3", "/m/a.OGG", "/m/a.oga", "/m/a.Opus", "/m/a.flac", "/m/a.wav"})
    EXPECT_TRUE(filter.matches(name)) << name;
  for (const char* name : {"/m/cover.jpg", "/m/a.mp3.part", "/m/mp3", "/m.mp3/x", "/m/a.m4a"})
    EXPECT_FALSE(filter.matches(name)) << name;
  EXPECT_FALSE(filter.may_match("folder.jpg"));
  EXPECT_TRUE(filter.may_match("x.FLAC"));
}

TEST(TrackFilter, PlayerPatternsReplaceTheBuiltInSet) {
  TrackFilter filter(
      {{"*.mp3", "execraw", {"disorder-decode"}}, {"/music/special/*", "exec", {"play"}}});
  EXPECT_FALSE(filter.built_in());
  EXPECT_TRUE(filter.matches("/music/a/b.mp3")); // '*' matches '/' too
  EXPECT_TRUE(filter.matches("/music/special/x.mod"));
  EXPECT_FALSE(filter.matches("/music/a/b.ogg"));
  EXPECT_FALSE(filter.matches("/music/a/b.MP3")); // patterns are case-sensitive
  EXPECT_TRUE(filter.may_match("anything.at.all"));
}

TEST(SearchWords, NameAndTagsWithoutStopwords) {
  SearchWords words({"the", "A", "of"});
  std::string out;
  words.add_name("The Beatles/Abbey Road/01 - Come Together.flac", out);
  EXPECT_EQ(out, "Beatles Abbey Road 01 Come Together");
  out.clear();
  words.add_name("Vol.2/Track.One.ogg", out); // only the file's extension goes
  EXPECT_EQ(out, "Vol 2 Track One");
  out.clear();
  words.add_name("noextension", out);
  words.add_text("Caf\xc3\xa9 of the  Night!", out);
  words.add_text("", out);
  EXPECT_EQ(out, "noextension Caf\xc3\xa9 Night");
}

TEST(CrashGuard, RecordsTheFileBeingReadWhenTheProcessCrashes) {
  char dir_template[] = "/tmp/crash-guard-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string list = std::string(dir_template) + "/crashed";
  std::string path = "/music/bad\nname.mp3";
  EXPECT_EXIT(
      {
        CrashGuard guard(list);
        CrashGuard::Reading reading(guard, path, 1234, 5678);
        std::raise(SIGSEGV);
      },
      testing::KilledBySignal(SIGSEGV), "");
  std::ifstream in(list, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, CrashGuard::format_entry(path, 1234, 5678));
  {
    CrashGuard guard(list);
    EXPECT_TRUE(guard.crashed_before(path, 1234, 5678));
    EXPECT_FALSE(guard.crashed_before(path, 1234, 5679)); // changed since: try again
    EXPECT_FALSE(guard.crashed_before("/music/other.mp3", 1234, 5678));
  }
  // Nothing is recorded outside a Reading.
  EXPECT_EXIT(
      {
        CrashGuard guard(list);
        std::raise(SIGSEGV);
      },
      testing::KilledBySignal(SIGSEGV), "");
  std::ifstream again(list, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, text);
  std::remove(list.c_str());
  rmdir(dir_template);
}
