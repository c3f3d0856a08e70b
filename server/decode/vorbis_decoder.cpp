// Ogg Vorbis decoder, with libvorbisfile.  A chained file (several logical
// streams one after another, as made by concatenating files or by some
// radio recorders) may change rate or channel count from one link to the
// next: each piece carries the format of the link it came from, so the
// raw stream gets a new header there.
#define OV_EXCLUDE_STATIC_CALLBACKS // unused statics in the header
#include "decoders.hpp"

#include <vorbis/vorbisfile.h>

#include <cerrno>
#include <string>

namespace disorder {

namespace {

std::string vorbis_error(int code) {
  switch (code) {
  case OV_EREAD:
    // A real read error has been reported by then (see rethrow_error()):
    // this one means the library could not find its way through the pages.
    return "Ogg Vorbis file is damaged (its pages cannot be followed)";
  case OV_ENOTVORBIS:
    return "not an Ogg Vorbis file";
  case OV_EVERSION:
    return "unsupported Vorbis version";
  case OV_EBADHEADER:
    return "invalid Vorbis header";
  case OV_HOLE:
    return "Ogg Vorbis stream is damaged (data is missing)";
  case OV_EBADLINK:
    return "Ogg Vorbis stream is damaged (invalid stream section)";
  case OV_ENOTAUDIO:
    return "Ogg stream is not audio";
  default:
    return "Ogg Vorbis decoding failed (error " + std::to_string(code) + ")";
  }
}

class VorbisDecoder : public Decoder {
public:
  explicit VorbisDecoder(InputFile file) : file_(std::move(file)) {
    ov_callbacks callbacks{};
    callbacks.read_func = [](void* ptr, std::size_t size, std::size_t n, void* source) {
      // libvorbisfile takes 0 with errno set for a read error, so a stale
      // errno must not survive a clean end of file.
      errno = 0;
      long r = static_cast<InputFile*>(source)->read_nothrow(ptr, size * n);
      return r < 0 || size == 0 ? std::size_t{0} : static_cast<std::size_t>(r) / size;
    };
    callbacks.seek_func = [](void* source, ogg_int64_t offset, int whence) {
      return static_cast<InputFile*>(source)->seek_nothrow(offset, whence);
    };
    callbacks.tell_func = [](void* source) {
      return static_cast<long>(static_cast<InputFile*>(source)->tell_nothrow());
    };
    int r = ov_open_callbacks(&file_, &vf_, nullptr, 0, callbacks);
    if (r < 0) {
      file_.rethrow_error();
      throw DecodeError(vorbis_error(r));
    }
  }
  ~VorbisDecoder() override { ov_clear(&vf_); }

protected:
  bool decode_some(BlockAssembler& out) override {
    int link = 0;
    long n = ov_read(&vf_, scratch_, sizeof scratch_, std::endian::native == std::endian::big, 2, 1,
                     &link);
    if (n == 0) return false;
    if (n < 0) {
      file_.rethrow_error();
      throw DecodeError(vorbis_error(static_cast<int>(n)));
    }
    const vorbis_info* info = ov_info(&vf_, link);
    if (!info) throw DecodeError("Ogg Vorbis stream has no format");
    if (info->channels < 1 || info->channels > 8)
      throw DecodeError("Ogg Vorbis stream with " + std::to_string(info->channels) +
                        " channels is not supported (at most 8)");
    AudioFormat format;
    format.rate = static_cast<std::uint32_t>(info->rate);
    format.channels = static_cast<std::uint8_t>(info->channels);
    format.bits = 16;
    format.byte_order = std::endian::native;
    if (!format.valid()) throw DecodeError("Ogg Vorbis stream has an unsupported sample rate");
    std::size_t bytes = static_cast<std::size_t>(n);
    out.append(format, std::span<const char>(scratch_, bytes - bytes % format.bytes_per_frame()));
    return true;
  }

private:
  InputFile file_;
  OggVorbis_File vf_;
  char scratch_[16384];
};

} // namespace

std::unique_ptr<Decoder> make_vorbis_decoder(InputFile file) {
  return std::make_unique<VorbisDecoder>(std::move(file));
}

} // namespace disorder
