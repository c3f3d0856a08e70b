// TrackReader, the rescan's tag reader: lengths from headers that claim
// more than any track holds.
#include "server/rescan/track_reader.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace {

// A FLAC file of nothing but its STREAMINFO block, mono 16-bit at
// `rate`, claiming `samples` samples.
std::string flac_header(std::uint32_t rate, std::uint64_t samples) {
  std::string f = "fLaC";
  f += '\x80'; // STREAMINFO, the last block
  f += std::string("\x00\x00\x22", 3);
  f += std::string("\x10\x00\x10\x00", 4);         // block sizes 4096
  f += std::string("\x00\x00\x00\x00\x00\x00", 6); // frame sizes unknown
  // 20 bits rate, 3 bits channels - 1, 5 bits bits - 1, 36 bits samples.
  const std::uint64_t packed = std::uint64_t{rate} << 44 | std::uint64_t{0} << 41 |
                               std::uint64_t{15} << 36 | (samples & 0xfffffffffULL);
  for (int shift = 56; shift >= 0; shift -= 8)
    f += static_cast<char>(packed >> shift & 0xff);
  f += std::string(16, '\0'); // MD5 unknown
  return f;
}

} // namespace

TEST(TrackReader, LengthNearTheLargestTagLibReports) {
  char tmpl[] = "/tmp/disorder-track-reader-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/long.flac";
  // 2147483548 ms, a hundred milliseconds short of INT_MAX: rounding it to
  // seconds must not overflow.
  std::ofstream(path, std::ios::binary) << flac_header(1000, 2147483548);
  disorder::TrackReader reader;
  disorder::TrackData data;
  std::string error;
  EXPECT_EQ(reader.read(path.c_str(), data, error), disorder::ReadStatus::ok);
  ASSERT_TRUE(data.length.has_value());
  EXPECT_EQ(*data.length, 2147484);
  ::unlink(path.c_str());
  ::rmdir(tmpl);
}
