// The table of decoders and the choice between them: open_decoder().
//
// The extension decides, as a player configuration's patterns do, except
// that a file whose first bytes are certainly another format is decoded as
// what it is (an Opus stream named .ogg is common, a misnamed file
// happens); a file with an unknown extension is recognised by its bytes.
#include "decoders.hpp"
#include "format_sniffer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace disorder {

namespace {

struct DecoderType {
  SniffedFormat format;
  std::array<std::string_view, 3> extensions; // lower case; empty slots unused
  std::unique_ptr<Decoder> (*make)(InputFile file);
};

const DecoderType kDecoders[] = {
    {SniffedFormat::wav, {"wav", "wave"}, make_wav_decoder},
    {SniffedFormat::flac, {"flac"}, make_flac_decoder},
    {SniffedFormat::mp3, {"mp3", "mp2", "mpga"}, make_mp3_decoder},
    {SniffedFormat::ogg_vorbis, {"ogg", "oga"}, make_vorbis_decoder},
    {SniffedFormat::ogg_opus, {"opus"}, make_opus_decoder},
    {SniffedFormat::ogg_flac, {}, make_ogg_flac_decoder}, // .oga, found by sniffing
};

// How many bytes sniffing looks at.
constexpr std::size_t kSniffBytes = 4096;

std::string lower_extension(const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

const DecoderType* by_extension(const std::string& ext) {
  if (ext.empty()) return nullptr;
  for (const auto& d : kDecoders)
    if (std::find(d.extensions.begin(), d.extensions.end(), ext) != d.extensions.end()) return &d;
  return nullptr;
}

const DecoderType* by_format(SniffedFormat format) {
  for (const auto& d : kDecoders)
    if (d.format == format) return &d;
  return nullptr;
}

} // namespace

std::unique_ptr<Decoder> open_decoder(const std::string& path) {
  InputFile file(path);
  if (file.size() == 0) throw DecodeError("file is empty");
  std::array<char, kSniffBytes> head;
  Sniffed sniffed = sniff_format(std::string_view(head.data(), file.read_at(0, head)));
  if (sniffed.format == SniffedFormat::ogg_other)
    throw DecodeError("Ogg file of a codec that is not supported (only Vorbis, Opus and FLAC are)");
  const DecoderType* type = sniffed.certain ? by_format(sniffed.format) : nullptr;
  if (!type) type = by_extension(lower_extension(path));
  if (!type) type = by_format(sniffed.format);
  if (!type) throw DecodeError("unrecognised file format");
  return type->make(std::move(file));
}

} // namespace disorder
