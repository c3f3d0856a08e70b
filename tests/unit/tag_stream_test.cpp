// TagStream, the read-only stream TagLib reads files through: reads of any
// length a corrupt header may ask for.
#include "server/rescan/tag_stream.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace {

class TagStreamTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disorder-tag-stream-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = tmpl;
    for (int i = 0; i < 1000; ++i)
      contents_ += static_cast<char>(i % 251);
    std::ofstream(path_, std::ios::binary) << contents_;
  }
  void TearDown() override { ::unlink(path_.c_str()); }

  std::string path_, contents_;
  disorder::TagStreamCache cache_;
};

std::string text(const TagLib::ByteVector& v) {
  return std::string(v.data(), v.size());
}

} // namespace

TEST_F(TagStreamTest, AnyLengthReadsToTheEnd) {
  disorder::TagStream s(path_.c_str(), cache_);
  ASSERT_TRUE(s.isOpen());
  // A length beyond LONG_MAX, first with nothing cached...
  s.seek(10, TagLib::IOStream::Beginning);
  EXPECT_EQ(text(s.readBlock(ULONG_MAX - 2)), contents_.substr(10));
  EXPECT_EQ(s.tell(), 1000);
  // ...then from a block already in the cache.
  s.seek(0, TagLib::IOStream::Beginning);
  EXPECT_EQ(text(s.readBlock(4)), contents_.substr(0, 4));
  EXPECT_EQ(text(s.readBlock(static_cast<unsigned long>(LONG_MAX) + 1)), contents_.substr(4));
  s.seek(990, TagLib::IOStream::Beginning);
  EXPECT_EQ(text(s.readBlock(ULONG_MAX)), contents_.substr(990));
  EXPECT_EQ(text(s.readBlock(ULONG_MAX)), "");
}
