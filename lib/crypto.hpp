// Hashes, HMAC, random bytes and hex, over libgcrypt.  Used by the
// challenge-response login (client and server) and by cookies.
#pragma once

#include <string>
#include <string_view>

namespace disorder {

// Initialise libgcrypt once; every function below calls it, so calling it
// explicitly is only needed before threads start.
void crypto_init();

// True for the algorithm names of disorder_protocol(5): sha1, sha256,
// sha384, sha512, in lower or upper case.
bool is_auth_algorithm(std::string_view name);

// Digest of data with the named algorithm (as above), as raw bytes.
// Throws Error for an unknown algorithm.
std::string digest(std::string_view algorithm, std::string_view data);

// The login response of disorder_protocol(5): lowercase hex of
// HASH(password bytes followed by the raw challenge bytes).
std::string auth_response(std::string_view algorithm, std::string_view password,
                          std::string_view challenge);

// HMAC-SHA256 of data under key, raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// n bytes from a strong random source (keys, passwords).
std::string random_bytes(size_t n);
// n unpredictable bytes for a nonce, such as a login challenge: cheaper
// than random_bytes, which matters once per connection.
std::string random_nonce(size_t n);

std::string to_hex(std::string_view bytes);
// Throws SyntaxError on odd length or a non-hex character.
std::string from_hex(std::string_view hex);

// Constant-time comparison, for secrets.
bool secure_equal(std::string_view a, std::string_view b);

} // namespace disorder
