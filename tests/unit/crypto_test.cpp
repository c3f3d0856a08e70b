// Login hashes against known vectors (computed independently with Python's
// hashlib), HMAC, hex.
#include "crypto.hpp"

#include "error.hpp"

#include <gtest/gtest.h>

using namespace disorder;

namespace {
const std::string kPassword = "hunter2";
const std::string kChallenge = from_hex("0123456789abcdef00ff");
} // namespace

TEST(Crypto, AuthResponseKnownVectors) {
  EXPECT_EQ(auth_response("sha1", kPassword, kChallenge),
            "0f49c2f5213000a4bc4a6ed0009248c48a6bfa3d");
  EXPECT_EQ(auth_response("sha256", kPassword, kChallenge),
            "43f3ac750a6045c7e5878ef05ac53b8a52a93f0adfeef520fde260b984bc7961");
  EXPECT_EQ(
      auth_response("sha384", kPassword, kChallenge),
      "bc84888aa8a4994abcacf109a289c5b139994af1a6ad86ed5f8f1cb0409e94b6ad9ead4b513a74a0fa45f6b83a"
      "6b3e41");
  EXPECT_EQ(
      auth_response("SHA512", kPassword, kChallenge),
      "cceece1978d19d4394d0b41ea936203b21a7b238c76752512c9030230e93c21efad6867f5dca99ed5ce07e57f1"
      "fe3470ffd892fe7c9908f3cedec60bc4da1f3f");
}

TEST(Crypto, UnknownAlgorithmIsAnError) {
  EXPECT_FALSE(is_auth_algorithm("md5"));
  EXPECT_TRUE(is_auth_algorithm("SHA384"));
  EXPECT_THROW(digest("md5", "x"), Error);
}

TEST(Crypto, HmacSha256) {
  EXPECT_EQ(to_hex(hmac_sha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(Crypto, HexRoundTripAndErrors) {
  EXPECT_EQ(from_hex(to_hex(std::string("\x00\xff\x10", 3))), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(from_hex("ABcd"), "\xab\xcd");
  EXPECT_THROW(from_hex("abc"), SyntaxError);
  EXPECT_THROW(from_hex("zz"), SyntaxError);
}

TEST(Crypto, RandomBytesDiffer) {
  auto a = random_bytes(16), b = random_bytes(16);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}
