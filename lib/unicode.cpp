// Encoding conversion with iconv, NFC with libunistring's u8_normalize.
#include "unicode.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <iconv.h>
#include <langinfo.h>
#include <memory>
#include <uninorm.h>
#include <unistr.h>

namespace disorder {

namespace {

iconv_t as_iconv(void* cd) {
  return static_cast<iconv_t>(cd);
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool is_utf8_encoding_name(std::string_view name) {
  std::string folded;
  for (char c : name)
    if (c != '-' && c != '_') folded += ascii_lower(c);
  return folded == "utf8";
}

EncodingConverter::EncodingConverter(const std::string& from, const std::string& to)
    : from_(from), to_(to) {
  identity_utf8_ = is_utf8_encoding_name(from) && is_utf8_encoding_name(to);
  if (identity_utf8_) return;
  iconv_t cd = iconv_open(to.c_str(), from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1))
    throw EncodingError("cannot convert from encoding '" + from + "' to '" + to + "'");
  cd_ = cd;
}

EncodingConverter::~EncodingConverter() {
  if (cd_) iconv_close(as_iconv(cd_));
}

bool EncodingConverter::convert(std::string_view in, std::string& out) {
  if (identity_utf8_) {
    if (!valid_utf8(in)) return false;
    out.assign(in);
    return true;
  }
  iconv_t cd = as_iconv(cd_);
  iconv(cd, nullptr, nullptr, nullptr, nullptr); // back to the initial shift state
  // Most names grow little: start at twice the input and grow on E2BIG.
  out.resize(std::max<size_t>(in.size() * 2, 16));
  // iconv's prototype takes char** for input it does not modify.
  char* inp = const_cast<char*>(in.data());
  size_t inleft = in.size();
  size_t used = 0;
  for (bool flushing = false;;) {
    char* outp = out.data() + used;
    size_t outleft = out.size() - used;
    size_t rc = flushing ? iconv(cd, nullptr, nullptr, &outp, &outleft)
                         : iconv(cd, &inp, &inleft, &outp, &outleft);
    used = static_cast<size_t>(outp - out.data());
    if (rc != static_cast<size_t>(-1)) {
      if (flushing) break;
      flushing = true; // emit any closing shift sequence
      continue;
    }
    if (errno != E2BIG) return false; // EILSEQ or EINVAL: not valid in `from`
    out.resize(out.size() * 2);
  }
  out.resize(used);
  return true;
}

std::string locale_encoding() {
  std::string codeset = nl_langinfo(CODESET);
  if (codeset.empty() || codeset == "ANSI_X3.4-1968" || codeset == "ASCII" || codeset == "US-ASCII")
    return "UTF-8";
  return codeset;
}

bool nfc_normalize(std::string_view in, std::string& out) {
  if (is_ascii(in)) {
    out.assign(in);
    return true;
  }
  if (!valid_utf8(in)) return false;
  // Normalise into a stack buffer; libunistring mallocs only when the
  // result does not fit.
  std::array<uint8_t, 512> buffer;
  size_t length = buffer.size();
  uint8_t* result = u8_normalize(UNINORM_NFC, reinterpret_cast<const uint8_t*>(in.data()),
                                 in.size(), buffer.data(), &length);
  if (!result) return false;
  std::unique_ptr<uint8_t, decltype(&std::free)> owned(result == buffer.data() ? nullptr : result,
                                                       &std::free);
  out.assign(reinterpret_cast<const char*>(result), length);
  return true;
}

std::string to_nfc(std::string_view in) {
  std::string out;
  if (!nfc_normalize(in, out)) throw SyntaxError("not valid UTF-8");
  return out;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_escaped(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

void append_cut(std::string& out, std::size_t left) {
  if (left) out += "...(" + std::to_string(left) + " more bytes)";
}

} // namespace

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes));
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      if (i + 1 > max_bytes) break;
      if (c < 0x20 || c == 0x7f)
        append_escaped(out, c);
      else if (c == '\\')
        out += "\\\\";
      else
        out += static_cast<char>(c);
      ++i;
      continue;
    }
    ucs4_t uc;
    int len = u8_mbtoucr(&uc, p + i, n - i);
    if (len <= 0 || uc < 0xa0) { // invalid, truncated, or a C1 control
      if (i + 1 > max_bytes) break;
      append_escaped(out, c);
      ++i;
      continue;
    }
    if (i + static_cast<size_t>(len) > max_bytes) break;
    out.append(bytes.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(len);
  }
  append_cut(out, n - i);
  return out;
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  const size_t keep = std::min(text.size(), max_bytes);
  out.reserve(keep);
  size_t i = 0;
  for (; i < keep; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f)
      append_escaped(out, c);
    else
      out += static_cast<char>(c);
  }
  // Never end on part of a UTF-8 sequence: a sequence cut short is left
  // out whole and counted with the rest.  (Escapes are ASCII, so the
  // non-ASCII tail of out is the tail of what was read.)
  if (i < text.size()) {
    size_t lead = out.size();
    while (lead > 0 && (static_cast<unsigned char>(out[lead - 1]) & 0xc0) == 0x80)
      --lead;
    if (lead > 0) {
      const auto c = static_cast<unsigned char>(out[lead - 1]);
      const size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (lead - 1 + need > out.size()) {
        i -= out.size() - (lead - 1);
        out.resize(lead - 1);
      }
    }
  }
  append_cut(out, text.size() - i);
  return out;
}

} // namespace disorder
