// AES-256-GCM sealing of passwords with libgcrypt.
#include "users/password_vault.hpp"

#include "crypto.hpp"
#include "error.hpp"
#include "fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <gcrypt.h>
#include <sys/stat.h>
#include <unistd.h>

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

PasswordVault::PasswordVault(const std::string& key_path) {
  Fd fd(::open(key_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) throw_errno("opening " + key_path);
    std::string key = random_bytes(kKeyBytes);
    std::string tmp = key_path + ".new";
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) throw_errno("creating " + tmp);
    write_all(out.get(), key);
    if (::fsync(out.get()) < 0) throw_errno("fsync " + tmp);
    out.reset();
    if (::rename(tmp.c_str(), key_path.c_str()) < 0) throw_errno("renaming " + tmp);
    key_ = key;
    return;
  }
  char buf[kKeyBytes + 1];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n != static_cast<ssize_t>(kKeyBytes)) throw Error(key_path + ": not a valid key file");
  key_.assign(buf, kKeyBytes);
}

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
