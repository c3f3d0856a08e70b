// libgcrypt-backed implementation of crypto.hpp.
#include "crypto.hpp"

#include "error.hpp"

#include <gcrypt.h>
#include <mutex>

namespace disorder {

namespace {

int algorithm_id(std::string_view name) {
  std::string lower(name);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "sha1") return GCRY_MD_SHA1;
  if (lower == "sha256") return GCRY_MD_SHA256;
  if (lower == "sha384") return GCRY_MD_SHA384;
  if (lower == "sha512") return GCRY_MD_SHA512;
  return 0;
}

} // namespace

void crypto_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!gcry_check_version(GCRYPT_VERSION)) throw Error("libgcrypt version mismatch");
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  });
}

bool is_auth_algorithm(std::string_view name) {
  return algorithm_id(name) != 0;
}

std::string digest(std::string_view algorithm, std::string_view data) {
  crypto_init();
  int algo = algorithm_id(algorithm);
  if (!algo) throw Error("unknown hash algorithm '" + std::string(algorithm) + "'");
  std::string out(gcry_md_get_algo_dlen(algo), '\0');
  gcry_md_hash_buffer(algo, out.data(), data.data(), data.size());
  return out;
}

std::string auth_response(std::string_view algorithm, std::string_view password,
                          std::string_view challenge) {
  std::string input;
  input.reserve(password.size() + challenge.size());
  input.append(password);
  input.append(challenge);
  return to_hex(digest(algorithm, input));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  crypto_init();
  gcry_md_hd_t h;
  if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC)) throw Error("gcry_md_open failed");
  gcry_md_setkey(h, key.data(), key.size());
  gcry_md_write(h, data.data(), data.size());
  std::string out(reinterpret_cast<const char*>(gcry_md_read(h, GCRY_MD_SHA256)), 32);
  gcry_md_close(h);
  return out;
}

std::string random_bytes(size_t n) {
  crypto_init();
  std::string out(n, '\0');
  gcry_randomize(out.data(), n, GCRY_STRONG_RANDOM);
  return out;
}

std::string random_nonce(size_t n) {
  crypto_init();
  std::string out(n, '\0');
  gcry_create_nonce(out.data(), n);
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2) throw SyntaxError("hex string has odd length");
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw SyntaxError("invalid hex digit");
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(val(hex[i]) << 4 | val(hex[i + 1]));
  return out;
}

bool secure_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

} // namespace disorder
