// FLAC decoder, with libFLAC, for native FLAC files and FLAC in Ogg.
// Samples come out at the file's own precision in the smallest byte
// container that holds them: 8, 16, 24 (packed, 3 bytes) or 32 bits.  A
// width that is not a multiple of 8 (12 or 20 bits, say) is shifted up to
// the top of its container, which keeps full scale.  The MD5 signature of
// the audio, when the encoder stored one, is checked at the end.
#include "decoders.hpp"

#include <FLAC/stream_decoder.h>

#include <optional>
#include <string>

namespace disorder {

namespace {

const char* describe(FLAC__StreamDecoderErrorStatus status) {
  switch (status) {
  case FLAC__STREAM_DECODER_ERROR_STATUS_LOST_SYNC:
    return "lost synchronisation";
  case FLAC__STREAM_DECODER_ERROR_STATUS_BAD_HEADER:
    return "corrupt frame header";
  case FLAC__STREAM_DECODER_ERROR_STATUS_FRAME_CRC_MISMATCH:
    return "frame CRC mismatch";
  case FLAC__STREAM_DECODER_ERROR_STATUS_UNPARSEABLE_STREAM:
    return "unparseable stream";
  default:
    return "corrupt metadata";
  }
}

struct FlacDeleter {
  void operator()(FLAC__StreamDecoder* d) const { FLAC__stream_decoder_delete(d); }
};

// Writes `frames` frames from libFLAC's planar 32-bit buffers as
// interleaved little-endian samples of Bytes bytes, shifted left by
// `shift`.
template <unsigned Bytes>
void interleave(char* out, const FLAC__int32* const buffer[], unsigned channels, unsigned frames,
                unsigned shift) {
  for (unsigned i = 0; i < frames; ++i)
    for (unsigned c = 0; c < channels; ++c) {
      auto v = static_cast<std::uint32_t>(buffer[c][i]) << shift;
      for (unsigned b = 0; b < Bytes; ++b)
        *out++ = static_cast<char>(v >> (8 * b));
    }
}

class FlacDecoder : public Decoder {
public:
  FlacDecoder(InputFile file, bool ogg) : file_(std::move(file)) {
    decoder_.reset(FLAC__stream_decoder_new());
    if (!decoder_) throw std::bad_alloc();
    FLAC__stream_decoder_set_md5_checking(decoder_.get(), true);
    auto init = ogg ? FLAC__stream_decoder_init_ogg_stream : FLAC__stream_decoder_init_stream;
    FLAC__StreamDecoderInitStatus status =
        init(decoder_.get(), read_cb, seek_cb, tell_cb, length_cb, eof_cb, write_cb, metadata_cb,
             error_cb, this);
    if (status != FLAC__STREAM_DECODER_INIT_STATUS_OK)
      throw DecodeError(std::string("cannot start the FLAC decoder: ") +
                        FLAC__StreamDecoderInitStatusString[status]);
    bool ok = FLAC__stream_decoder_process_until_end_of_metadata(decoder_.get());
    file_.rethrow_error();
    if (!have_streaminfo_) throw DecodeError(ogg ? "not an Ogg FLAC file" : "not a FLAC file");
    check(ok);
  }

protected:
  bool decode_some(BlockAssembler& out) override {
    if (FLAC__stream_decoder_get_state(decoder_.get()) == FLAC__STREAM_DECODER_END_OF_STREAM) {
      finish();
      return false;
    }
    out_ = &out;
    bool ok = FLAC__stream_decoder_process_single(decoder_.get());
    out_ = nullptr;
    check(ok);
    return true;
  }

private:
  // Turns whatever went wrong inside libFLAC into the exception for it.
  void check(bool ok) {
    file_.rethrow_error();
    if (failure_) throw DecodeError(*failure_);
    if (!ok) {
      switch (FLAC__stream_decoder_get_state(decoder_.get())) {
      case FLAC__STREAM_DECODER_OGG_ERROR:
        throw DecodeError("FLAC file is damaged: invalid Ogg stream");
      case FLAC__STREAM_DECODER_MEMORY_ALLOCATION_ERROR:
        // What libFLAC says when a size in the file is absurd (one it
        // computes from a metadata block too short for its own fields
        // comes out below zero): the file, not the machine, is at fault.
        throw DecodeError("FLAC file is damaged: a size in it is impossible");
      default:
        throw DecodeError("FLAC decoding failed");
      }
    }
  }

  void finish() {
    if (total_frames_ && decoded_ < total_frames_)
      throw DecodeError("FLAC file is truncated: " + std::to_string(decoded_) + " of " +
                        std::to_string(total_frames_) + " frames decoded");
    if (!FLAC__stream_decoder_finish(decoder_.get()))
      throw DecodeError("FLAC file is damaged: the audio does not match its MD5 signature");
  }

  static FLAC__StreamDecoderReadStatus read_cb(const FLAC__StreamDecoder*, FLAC__byte buffer[],
                                               size_t* bytes, void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    // After damage, stop instead of letting the library search the rest of
    // the file for something it can resynchronise on.
    if (self->failure_) {
      *bytes = 0;
      return FLAC__STREAM_DECODER_READ_STATUS_ABORT;
    }
    long n = self->file_.read_nothrow(buffer, *bytes);
    if (n < 0) {
      *bytes = 0;
      return FLAC__STREAM_DECODER_READ_STATUS_ABORT;
    }
    *bytes = static_cast<size_t>(n);
    return n == 0 ? FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM
                  : FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
  }

  static FLAC__StreamDecoderSeekStatus seek_cb(const FLAC__StreamDecoder*, FLAC__uint64 offset,
                                               void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    return self->file_.seek_nothrow(static_cast<std::int64_t>(offset), SEEK_SET) < 0
               ? FLAC__STREAM_DECODER_SEEK_STATUS_ERROR
               : FLAC__STREAM_DECODER_SEEK_STATUS_OK;
  }

  static FLAC__StreamDecoderTellStatus tell_cb(const FLAC__StreamDecoder*, FLAC__uint64* offset,
                                               void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    std::int64_t r = self->file_.tell_nothrow();
    if (r < 0) return FLAC__STREAM_DECODER_TELL_STATUS_ERROR;
    *offset = static_cast<FLAC__uint64>(r);
    return FLAC__STREAM_DECODER_TELL_STATUS_OK;
  }

  static FLAC__StreamDecoderLengthStatus length_cb(const FLAC__StreamDecoder*, FLAC__uint64* length,
                                                   void* data) {
    *length = static_cast<FlacDecoder*>(data)->file_.size();
    return FLAC__STREAM_DECODER_LENGTH_STATUS_OK;
  }

  static FLAC__bool eof_cb(const FLAC__StreamDecoder*, void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    std::int64_t r = self->file_.tell_nothrow();
    return r < 0 || static_cast<std::uint64_t>(r) >= self->file_.size();
  }

  static FLAC__StreamDecoderWriteStatus write_cb(const FLAC__StreamDecoder*,
                                                 const FLAC__Frame* frame,
                                                 const FLAC__int32* const buffer[], void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    // A frame that failed its CRC arrives as silence: stop before it.
    if (self->failure_ || !self->out_) return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    const FLAC__FrameHeader& h = frame->header;
    if (h.channels < 1 || h.channels > 8 || h.bits_per_sample < 4 || h.bits_per_sample > 32) {
      self->failure_ = "FLAC frame has an unsupported format";
      return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    const unsigned bytes = (h.bits_per_sample + 7) / 8;
    const unsigned shift = bytes * 8 - h.bits_per_sample;
    AudioFormat format;
    format.rate = h.sample_rate;
    format.channels = static_cast<std::uint8_t>(h.channels);
    format.bits = static_cast<std::uint8_t>(bytes * 8);
    format.byte_order = std::endian::little;
    if (!format.valid()) {
      self->failure_ = "FLAC frame has an unsupported sample rate";
      return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    std::size_t size = std::size_t{h.blocksize} * format.bytes_per_frame();
    char* out = self->out_->reserve(format, size).data();
    switch (bytes) {
    case 1:
      interleave<1>(out, buffer, h.channels, h.blocksize, shift);
      break;
    case 2:
      interleave<2>(out, buffer, h.channels, h.blocksize, shift);
      break;
    case 3:
      interleave<3>(out, buffer, h.channels, h.blocksize, shift);
      break;
    default:
      interleave<4>(out, buffer, h.channels, h.blocksize, shift);
      break;
    }
    self->out_->commit(size);
    self->decoded_ += h.blocksize;
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
  }

  static void metadata_cb(const FLAC__StreamDecoder*, const FLAC__StreamMetadata* metadata,
                          void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    if (metadata->type == FLAC__METADATA_TYPE_STREAMINFO) {
      self->have_streaminfo_ = true;
      self->total_frames_ = metadata->data.stream_info.total_samples;
    }
  }

  static void error_cb(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status,
                       void* data) {
    auto* self = static_cast<FlacDecoder*>(data);
    // Junk after the last frame (an ID3v1 tag, say) loses sync once all the
    // audio has been decoded: harmless.
    if (status == FLAC__STREAM_DECODER_ERROR_STATUS_LOST_SYNC && self->total_frames_ &&
        self->decoded_ >= self->total_frames_)
      return;
    if (!self->failure_) self->failure_ = std::string("FLAC file is damaged: ") + describe(status);
  }

  InputFile file_;
  std::unique_ptr<FLAC__StreamDecoder, FlacDeleter> decoder_;
  BlockAssembler* out_ = nullptr; // where write_cb puts frames, during decode_some()
  std::optional<std::string> failure_;
  bool have_streaminfo_ = false;
  std::uint64_t total_frames_ = 0; // from STREAMINFO; 0 when unknown
  std::uint64_t decoded_ = 0;
};

} // namespace

std::unique_ptr<Decoder> make_flac_decoder(InputFile file) {
  return std::make_unique<FlacDecoder>(std::move(file), false);
}

std::unique_ptr<Decoder> make_ogg_flac_decoder(InputFile file) {
  return std::make_unique<FlacDecoder>(std::move(file), true);
}

} // namespace disorder
