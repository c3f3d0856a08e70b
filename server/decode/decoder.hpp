// The interface every audio decoder in disorder-decode implements: open a
// file, then pull blocks of interleaved signed PCM, each with its format,
// until the track ends.  One implementation per file format lives in its
// own file (mp3_decoder.cpp, ...); open_decoder() chooses one.
#pragma once

#include "audio_format.hpp"
#include "block_assembler.hpp"
#include "decode_error.hpp"

#include <exception>
#include <memory>
#include <optional>
#include <string>

namespace disorder {

class Decoder {
public:
  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  virtual ~Decoder() = default;

  // The next block of whole frames in one format (at most about
  // kBlockTargetBytes), or nullopt at the end of the track.  The block's
  // bytes stay valid until the next call.  Throws DecodeError (or
  // SystemError on a read error); when damage is found part-way through a
  // block, the frames before it are returned first and the error is thrown
  // by the following call, so a damaged file plays up to the damage.
  std::optional<PcmBlock> next();

protected:
  // Decodes at least one more frame into `out`, or returns false at the end
  // of the track.  May append more than one format (the assembler splits
  // blocks where the format changes).  Throws on damage.
  virtual bool decode_some(BlockAssembler& out) = 0;

private:
  BlockAssembler assembler_;
  std::exception_ptr deferred_;
  bool ended_ = false;
};

// Opens `path` with the decoder its extension names (case-insensitive),
// unless its first bytes unambiguously identify another format, and falls
// back to those bytes when the extension is unknown.  Throws SystemError
// when the file cannot be read, DecodeError when it is empty or of no
// format we know.
std::unique_ptr<Decoder> open_decoder(const std::string& path);

} // namespace disorder
