// WAV decoder: our own parser (wav_parser.cpp) finds the PCM, which is then
// copied out a block at a time with positioned reads.
#include "decoders.hpp"
#include "wav_parser.hpp"

#include <algorithm>
#include <string>

namespace disorder {

namespace {

class WavDecoder : public Decoder {
public:
  explicit WavDecoder(InputFile file)
      : file_(std::move(file)), layout_(parse_wav(file_)), position_(layout_.data_offset),
        remaining_(layout_.data_bytes) {}

protected:
  bool decode_some(BlockAssembler& out) override {
    if (remaining_ == 0) {
      if (layout_.truncated)
        throw DecodeError("WAV file is truncated: its data chunk declares " +
                          std::to_string(layout_.declared_bytes) + " bytes but only " +
                          std::to_string(layout_.data_bytes) + " are present");
      return false;
    }
    const std::size_t frame = layout_.format.bytes_per_frame();
    const std::size_t want = std::min<std::uint64_t>(
        remaining_, std::max<std::size_t>(1, kBlockTargetBytes / frame) * frame);
    auto buf = out.reserve(layout_.format, want);
    std::size_t got = file_.read_at(position_, buf);
    got -= got % frame;
    convert_wav_samples(layout_, buf.first(got));
    out.commit(got);
    if (got < want) throw DecodeError("WAV file was truncated while it was being read");
    position_ += got;
    remaining_ -= got;
    return true;
  }

private:
  InputFile file_;
  WavLayout layout_;
  std::uint64_t position_;
  std::uint64_t remaining_;
};

} // namespace

std::unique_ptr<Decoder> make_wav_decoder(InputFile file) {
  return std::make_unique<WavDecoder>(std::move(file));
}

} // namespace disorder
