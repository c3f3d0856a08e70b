// Track names from file names.  A track is named by its full path in UTF-8,
// NFC: the collection root as written in the configuration, then each path
// component converted from the collection's filename encoding and
// normalised.  Normalising each component on its own gives the same result
// as normalising the whole name, because '/' never combines with anything.
#pragma once

#include "unicode.hpp"

#include <string>
#include <string_view>

namespace disorder {

class TrackNamer {
public:
  // encoding: the collection's filename encoding; empty means the locale's.
  // Throws EncodingError when iconv does not know it.
  explicit TrackNamer(const std::string& encoding);

  // Replaces out with the name of one path component (no '/').  False when
  // raw is not valid in the encoding.  Not thread-safe.
  bool component(std::string_view raw, std::string& out);

  const std::string& encoding() const { return converter_.from(); }

private:
  EncodingConverter converter_;
  std::string converted_; // reused between calls
};

// The directory part of a track or directory name: everything before the
// last '/', or "/" for a name directly under the file system root.
std::string_view dir_part(std::string_view name);

// The first name that sorts after every name below dir (and after dir
// itself): names N with  dir + "/" <= N < below_end(dir)  are exactly those
// under dir, which lets SQLite answer "everything below" with an index range.
std::string below_begin(std::string_view dir);
std::string below_end(std::string_view dir);

// True when name is dir or lies below it.
bool is_at_or_below(std::string_view name, std::string_view dir);

} // namespace disorder
