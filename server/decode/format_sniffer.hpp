// Recognising an audio file by its first bytes.  Pure: it looks only at
// the bytes it is given.
#pragma once

#include <string_view>

namespace disorder {

enum class SniffedFormat { unknown, wav, flac, ogg_vorbis, ogg_opus, ogg_flac, ogg_other, mp3 };

struct Sniffed {
  SniffedFormat format = SniffedFormat::unknown;
  // Certain: a magic number no other format starts with (RIFF, fLaC,
  // OggS).  An MPEG frame sync or an ID3 tag is only a hint, since such
  // bytes turn up by chance and ID3 tags are put in front of other formats.
  bool certain = false;
};

// `head` is the first bytes of the file (a few kilobytes are plenty; fewer
// when the file is shorter).
Sniffed sniff_format(std::string_view head);

} // namespace disorder
