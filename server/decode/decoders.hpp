// The constructors of the decoders, one per file format, each defined in
// its own file; decoder_table.cpp chooses between them.  Each takes
// ownership of the open file and throws DecodeError when it is not of its
// format or uses a variant it does not support.
#pragma once

#include "decoder.hpp"
#include "input_file.hpp"

#include <memory>

namespace disorder {

std::unique_ptr<Decoder> make_wav_decoder(InputFile file);
std::unique_ptr<Decoder> make_mp3_decoder(InputFile file);
std::unique_ptr<Decoder> make_vorbis_decoder(InputFile file);
std::unique_ptr<Decoder> make_opus_decoder(InputFile file);
std::unique_ptr<Decoder> make_flac_decoder(InputFile file);
std::unique_ptr<Decoder> make_ogg_flac_decoder(InputFile file);

} // namespace disorder
