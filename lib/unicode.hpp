// Character encodings and Unicode normalisation for names that come from
// outside: file names in a collection's encoding, names clients send.  Track
// names inside disorder are always UTF-8 in Normalization Form C, so that one
// track has one name however its bytes were spelled on disk.
#pragma once

#include "error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace disorder {

// An encoding name iconv does not know.
class EncodingError : public Error {
public:
  using Error::Error;
};

// Converts byte strings from one encoding to another (iconv).  Conversion of
// UTF-8 to UTF-8 is only validated, which is the common case and much cheaper
// than going through iconv.  Not thread-safe: one converter per thread.
class EncodingConverter {
public:
  // Throws EncodingError when iconv cannot convert between the two.
  EncodingConverter(const std::string& from, const std::string& to);
  EncodingConverter(const EncodingConverter&) = delete;
  EncodingConverter& operator=(const EncodingConverter&) = delete;
  ~EncodingConverter();

  // Replaces out with in converted.  False, out unspecified, when in is not
  // valid in the source encoding or cannot be represented in the target one.
  // out is a parameter so that a caller converting many names reuses one
  // buffer.
  bool convert(std::string_view in, std::string& out);

  const std::string& from() const { return from_; }
  const std::string& to() const { return to_; }

private:
  std::string from_, to_;
  bool identity_utf8_ = false; // UTF-8 to UTF-8: validate only
  void* cd_ = nullptr;         // iconv_t, kept opaque to spare includers <iconv.h>
};

// True for the names glibc and iconv give UTF-8 ("UTF-8", "utf8", ...).
bool is_utf8_encoding_name(std::string_view name);

// The character encoding of the current locale (LC_CTYPE; main must have
// called setlocale).  The C locale's ASCII is reported as UTF-8: a program
// started without a locale (a systemd service, cron) would otherwise refuse
// every non-ASCII name, and ASCII names are the same in both.
std::string locale_encoding();

// Replaces out with the NFC form of the UTF-8 string in.  False when in is
// not valid UTF-8.  ASCII is returned unchanged without calling into
// libunistring.
bool nfc_normalize(std::string_view in, std::string& out);
// The NFC form of in; throws SyntaxError when in is not valid UTF-8.
std::string to_nfc(std::string_view in);

// bytes made safe to print in a log line or a reply: valid UTF-8 other than
// control characters is kept, a backslash becomes "\\", and any other byte
// "\xHH".  Bytes beyond max_bytes are left out (never half a character)
// and counted: "...(N more bytes)".
std::string printable(std::string_view bytes, std::size_t max_bytes = SIZE_MAX);

// text as one line of bounded length, whatever it holds: control
// characters (C0 and DEL) become "\xHH" and bytes beyond max_bytes are left
// out and counted as printable() does.  Everything else, backslashes
// included, is kept, so text that printable() made passes unchanged.
std::string one_line(std::string_view text, std::size_t max_bytes);

} // namespace disorder
