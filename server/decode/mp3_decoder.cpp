// MP3 (and MPEG layer 1/2) decoder, with libmpg123.  Gapless decoding is
// switched on so that the encoder delay and padding recorded in a LAME/Xing
// header are trimmed: the track comes out exactly as long as the PCM that
// was encoded, and consecutive tracks of an album join without a gap.
#include "decoders.hpp"

#include <mpg123.h>

#include <string>

namespace disorder {

namespace {

struct HandleDeleter {
  void operator()(mpg123_handle* h) const { mpg123_delete(h); }
};

class Mp3Decoder : public Decoder {
public:
  explicit Mp3Decoder(InputFile file) : file_(std::move(file)) {
    int err = MPG123_OK;
    handle_.reset(mpg123_new(nullptr, &err));
    if (!handle_)
      throw DecodeError(std::string("cannot start the MP3 decoder: ") + mpg123_plain_strerror(err));
    mpg123_handle* h = handle_.get();
    // Quiet: the library would otherwise print its own complaints on
    // stderr, where ours are the only ones wanted.
    check(mpg123_param(h, MPG123_ADD_FLAGS, MPG123_GAPLESS | MPG123_QUIET, 0));
    // 16-bit signed at whatever rate and channel count the stream has: no
    // conversion inside the library.
    check(mpg123_format_none(h));
    const long* rates = nullptr;
    std::size_t nrates = 0;
    mpg123_rates(&rates, &nrates);
    for (std::size_t i = 0; i < nrates; ++i)
      check(mpg123_format(h, rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_SIGNED_16));
    check(mpg123_open_fd(h, file_.fd()));
  }
  ~Mp3Decoder() override {
    if (handle_) mpg123_close(handle_.get());
  }

protected:
  bool decode_some(BlockAssembler& out) override {
    mpg123_handle* h = handle_.get();
    if (!have_format_) {
      long rate = 0;
      int channels = 0, encoding = 0;
      int r = mpg123_getformat2(h, &rate, &channels, &encoding, 1);
      if (r == MPG123_DONE) {
        if (frames_ == 0) throw DecodeError("no MPEG audio found");
        return false;
      }
      check(r);
      if (encoding != MPG123_ENC_SIGNED_16 || channels < 1 || channels > 2)
        throw DecodeError("MP3 decoder chose an unexpected output format");
      format_.rate = static_cast<std::uint32_t>(rate);
      format_.channels = static_cast<std::uint8_t>(channels);
      format_.bits = 16;
      format_.byte_order = std::endian::native;
      have_format_ = true;
    }
    const std::size_t frame = format_.bytes_per_frame();
    auto buf = out.reserve(format_, kBlockTargetBytes / frame * frame);
    std::size_t done = 0;
    int r = mpg123_read(h, reinterpret_cast<unsigned char*>(buf.data()), buf.size(), &done);
    done -= done % frame;
    out.commit(done);
    frames_ += done / frame;
    switch (r) {
    case MPG123_OK:
      return true;
    case MPG123_NEW_FORMAT:
      have_format_ = false;
      return true;
    case MPG123_DONE:
      if (frames_ == 0) throw DecodeError("no MPEG audio found");
      return done > 0;
    default:
      throw DecodeError(std::string("MP3 decoding failed: ") + mpg123_strerror(h));
    }
  }

private:
  void check(int r) {
    if (r != MPG123_OK)
      throw DecodeError(std::string("MP3 decoding failed: ") + (r == MPG123_ERR
                                                                    ? mpg123_strerror(handle_.get())
                                                                    : mpg123_plain_strerror(r)));
  }

  InputFile file_;
  std::unique_ptr<mpg123_handle, HandleDeleter> handle_;
  AudioFormat format_;
  bool have_format_ = false;
  std::uint64_t frames_ = 0;
};

} // namespace

std::unique_ptr<Decoder> make_mp3_decoder(InputFile file) {
  return std::make_unique<Mp3Decoder>(std::move(file));
}

} // namespace disorder
