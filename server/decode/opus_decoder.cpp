// Ogg Opus decoder, with libopusfile.  Opus always decodes at 48 kHz; the
// library honours the pre-skip and the end trimming in the stream, so the
// output is exactly as long as what was encoded.  Links of a chained file
// may differ in channel count; each gets its own raw stream header.
#include "decoders.hpp"

#include <opusfile.h>

#include <string>
#include <vector>

namespace disorder {

namespace {

// The longest Opus packet is 120 ms: at 48 kHz and our limit of 8
// channels, this is room for one.
constexpr int kScratchSamples = 48000 * 120 / 1000 * 8;

std::string opus_error(int code) {
  switch (code) {
  case OP_EREAD:
    // A real read error has been reported by then (see rethrow_error()).
    return "Ogg Opus file is damaged (its pages cannot be followed)";
  case OP_ENOTFORMAT:
    return "not an Ogg Opus file";
  case OP_EVERSION:
    return "unsupported Opus version";
  case OP_EBADHEADER:
    return "invalid Opus header";
  case OP_EIMPL:
    return "Opus stream uses a feature that is not supported";
  case OP_HOLE:
    return "Ogg Opus stream is damaged (data is missing)";
  case OP_EBADLINK:
  case OP_EBADTIMESTAMP:
    return "Ogg Opus stream is damaged (invalid stream section)";
  case OP_EBADPACKET:
    return "Ogg Opus stream is damaged (invalid packet)";
  default:
    return "Ogg Opus decoding failed (error " + std::to_string(code) + ")";
  }
}

struct OpusFileDeleter {
  void operator()(OggOpusFile* f) const { op_free(f); }
};

class OpusDecoder : public Decoder {
public:
  explicit OpusDecoder(InputFile file) : file_(std::move(file)), scratch_(kScratchSamples) {
    OpusFileCallbacks callbacks{};
    callbacks.read = [](void* source, unsigned char* ptr, int n) {
      return static_cast<int>(
          static_cast<InputFile*>(source)->read_nothrow(ptr, static_cast<std::size_t>(n)));
    };
    callbacks.seek = [](void* source, opus_int64 offset, int whence) {
      return static_cast<InputFile*>(source)->seek_nothrow(offset, whence);
    };
    callbacks.tell = [](void* source) -> opus_int64 {
      return static_cast<InputFile*>(source)->tell_nothrow();
    };
    int err = 0;
    of_.reset(op_open_callbacks(&file_, &callbacks, nullptr, 0, &err));
    if (!of_) {
      file_.rethrow_error();
      throw DecodeError(opus_error(err));
    }
  }

protected:
  bool decode_some(BlockAssembler& out) override {
    int link = 0;
    int n = op_read(of_.get(), scratch_.data(), kScratchSamples, &link);
    if (n == 0) return false;
    if (n < 0) {
      file_.rethrow_error();
      throw DecodeError(opus_error(n));
    }
    int channels = op_channel_count(of_.get(), link);
    if (channels < 1 || channels > 8)
      throw DecodeError("Ogg Opus stream with " + std::to_string(channels) +
                        " channels is not supported (at most 8)");
    AudioFormat format;
    format.rate = 48000;
    format.channels = static_cast<std::uint8_t>(channels);
    format.bits = 16;
    format.byte_order = std::endian::native;
    out.append(format,
               std::span<const char>(reinterpret_cast<const char*>(scratch_.data()),
                                     static_cast<std::size_t>(n) * format.bytes_per_frame()));
    return true;
  }

private:
  InputFile file_;
  std::unique_ptr<OggOpusFile, OpusFileDeleter> of_;
  std::vector<opus_int16> scratch_;
};

} // namespace

std::unique_ptr<Decoder> make_opus_decoder(InputFile file) {
  return std::make_unique<OpusDecoder>(std::move(file));
}

} // namespace disorder
