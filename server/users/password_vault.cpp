// AES-256-GCM sealing of passwords with libgcrypt.
#include "users/password_vault.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "users/key_file.hpp"

#include <gcrypt.h>

namespace disorder {

namespace {
constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

struct Cipher {
  gcry_cipher_hd_t h = nullptr;
  explicit Cipher(const std::string& key, std::string_view nonce) {
    crypto_init();
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 0) ||
        gcry_cipher_setkey(h, key.data(), key.size()) ||
        gcry_cipher_setiv(h, nonce.data(), nonce.size()))
      throw Error("cannot set up password cipher");
  }
  ~Cipher() { gcry_cipher_close(h); }
};
} // namespace

PasswordVault::PasswordVault(const std::string& key_path)
    : key_(load_or_create_key(key_path, kKeyBytes)) {}

std::string PasswordVault::seal(std::string_view password) const {
  std::string nonce = random_bytes(kNonceBytes);
  Cipher c(key_, nonce);
  std::string out = nonce;
  std::string body(password);
  if (gcry_cipher_encrypt(c.h, body.data(), body.size(), nullptr, 0))
    throw Error("password encryption failed");
  out += body;
  char tag[kTagBytes];
  if (gcry_cipher_gettag(c.h, tag, sizeof tag)) throw Error("password encryption failed");
  out.append(tag, sizeof tag);
  return out;
}

std::string PasswordVault::open(std::string_view sealed) const {
  if (sealed.size() < kNonceBytes + kTagBytes) throw Error("sealed password is truncated");
  Cipher c(key_, sealed.substr(0, kNonceBytes));
  std::string body(sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes));
  if (gcry_cipher_decrypt(c.h, body.data(), body.size(), nullptr, 0))
    throw Error("password decryption failed");
  auto tag = sealed.substr(sealed.size() - kTagBytes);
  if (gcry_cipher_checktag(c.h, tag.data(), tag.size()))
    throw Error("sealed password does not match the key (was the key file replaced?)");
  return body;
}

} // namespace disorder
