// Reads what the database keeps about an audio file: its length and its
// tags, with TagLib.  Only headers and tags are read (ReadStyle::Fast), never
// the audio frames, which is what makes a cold scan fast.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace disorder {

struct TrackData {
  std::optional<std::int64_t> length; // whole seconds, rounded; unset when unknown
  // Lower-case tag name and its first value (UTF-8, NFC), each name once.
  std::vector<std::pair<std::string, std::string>> tags;

  // The value of tag name, or empty.
  std::string_view tag(std::string_view name) const;
};

enum class ReadStatus {
  ok,           // TagLib understood the file
  unrecognised, // readable, but TagLib found no audio in it (data may hold tags)
  unreadable,   // could not be opened: `error` says why
};

class TagStreamCache;

class TrackReader {
public:
  TrackReader();
  ~TrackReader();

  // Fills data (cleared first).  Never throws for a bad file: a corrupt file
  // is ReadStatus::unrecognised, without a length.  Thread-compatible: use
  // one TrackReader per thread.
  ReadStatus read(const char* path, TrackData& data, std::string& error);

private:
  // TagLib's types stay out of this header.
  std::unique_ptr<TagStreamCache> cache_;
};

} // namespace disorder
