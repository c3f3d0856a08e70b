// TagLib behind TrackReader.
#include "track_reader.hpp"

#include "tag_stream.hpp"
#include "unicode.hpp"

#include <audioproperties.h>
#include <cerrno>
#include <cstring>
#include <fileref.h>
#include <tfile.h>
#include <tpropertymap.h>

namespace disorder {

std::string_view TrackData::tag(std::string_view name) const {
  for (const auto& [n, v] : tags)
    if (n == name) return v;
  return {};
}

namespace {

void lower_ascii(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

} // namespace

TrackReader::TrackReader() : cache_(std::make_unique<TagStreamCache>()) {}
TrackReader::~TrackReader() = default;

ReadStatus TrackReader::read(const char* path, TrackData& data, std::string& error) {
  data.length.reset();
  data.tags.clear();
  bool has_audio = false;
  try {
    TagStream stream(path, *cache_);
    if (!stream.isOpen()) {
      error = std::strerror(stream.error());
      return ReadStatus::unreadable;
    }
    TagLib::FileRef ref(&stream, true, TagLib::AudioProperties::Fast);
    if (!ref.isNull() && ref.file()->isValid()) {
      // TagLib calls a file with tags but no audio frame valid, with zero
      // properties; that is a corrupt or truncated file, whose tags are still
      // worth having.
      const auto* props = ref.audioProperties();
      if (props && props->sampleRate() > 0 && props->channels() > 0) {
        has_audio = true;
        // Rounded rather than truncated: a 0.6 s jingle lasts 1 s, not 0
        // (in 64 bits: a header may claim nearly INT_MAX milliseconds).
        // Exactly zero is TagLib not knowing (a stream without a sample
        // count, such as some Ogg FLAC), not a silent track.
        if (int ms = props->lengthInMilliseconds(); ms > 0)
          data.length = (std::int64_t{ms} + 500) / 1000;
      }
      TagLib::PropertyMap properties = ref.file()->properties();
      std::string value;
      for (const auto& [key, values] : properties) {
        if (values.isEmpty()) continue;
        std::string name = key.to8Bit(true);
        lower_ascii(name);
        if (name.empty() || !nfc_normalize(values.front().to8Bit(true), value) || value.empty())
          continue;
        data.tags.emplace_back(std::move(name), value);
      }
    }
  } catch (const std::exception&) {
    // TagLib reports trouble by validity, but allocation failures for absurd
    // sizes in a corrupt header do surface as exceptions.
    data.length.reset();
    data.tags.clear();
    has_audio = false;
  }
  return has_audio ? ReadStatus::ok : ReadStatus::unrecognised;
}

} // namespace disorder
