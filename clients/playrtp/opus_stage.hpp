// The jitter buffer's Opus stage (RFC 7587): an Opus stream's packets are
// kept as they came, by position on the stream's timeline, and decoded in
// order just before playout takes their frames.  Decoding late is what
// makes loss handling possible: when a packet is missing and the one after
// it has arrived, the missing audio is rebuilt from that packet's in-band
// FEC (its low-bit-rate copy of the previous frame); when that has not
// arrived either, Opus conceals the gap (PLC).  And since an Opus decoder
// carries state from one packet to the next, it sees the stream exactly
// once, in order, gaps included.
//
// The decoded audio goes into the jitter buffer's FrameRing (16-bit
// big-endian 48 kHz stereo, opus_decoded_format()), from where playout
// takes it as it takes L16.  Past the newest packet (nothing after the
// gap has arrived yet) the stage conceals in steps of the last packet's
// length; a packet that then arrives for audio already concealed is late,
// and only its frames not yet decoded are used.
//
// A gap in the timeline between packets whose sequence numbers follow
// one another is no loss: the sender sent nothing (Opus DTX, a paused
// source).  It is concealed all the same (PLC fades to silence, as the
// codec intends for DTX) but not counted.
//
// Threads: none; the jitter buffer's, under its lock.  Memory: at most
// kMaxBytes of packets besides the decoder's own state.
#pragma once

#include "frame_ring.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

struct OpusDecoder;

namespace disorder::playrtp {

struct OpusStats {
  std::uint64_t decoded = 0;       // packets decoded as they came
  std::uint64_t fec = 0;           // lost packets rebuilt from the next packet's FEC
  std::uint64_t plc = 0;           // lost packets concealed (Opus PLC)
  std::uint64_t plc_gaps = 0;      // runs of lost packets concealed: the gaps a listener may hear
  std::uint64_t plc_long_gaps = 0; // those over kLongGapFrames, which concealment hides less well
  std::uint64_t plc_longest = 0;   // frames (48 kHz) in the longest of them
  std::uint64_t undecodable = 0;   // packets libopus refused (concealed instead)
};

class OpusStage {
public:
  static constexpr std::uint32_t kRate = 48000;
  static constexpr unsigned kChannels = 2;
  // The longest Opus packet: 120 ms.
  static constexpr std::size_t kMaxPacketFrames = 5760;
  // PLC and FEC work in multiples of 2.5 ms.
  static constexpr std::size_t kGranule = 120;
  // A gap longer than this (10 ms) counts in OpusStats::plc_long_gaps.
  static constexpr std::size_t kLongGapFrames = 480;
  static constexpr std::size_t kMaxBytes = 1 << 20;

  // Frames (at 48 kHz) in an Opus packet, or 0 if it is not a valid one.
  static std::size_t packet_frames(std::span<const std::uint8_t> packet);
  // The packet carries in-band FEC for the frame before it (SILK LBRR).
  static bool has_fec(std::span<const std::uint8_t> packet);

  // stats: where the counts go (they outlive streams).  Throws Error if
  // libopus cannot make a decoder.
  explicit OpusStage(OpusStats& stats);
  ~OpusStage();
  OpusStage(const OpusStage&) = delete;
  OpusStage& operator=(const OpusStage&) = delete;

  // Start again at `position` (a new stream or generation): packets
  // dropped, decoder reset.
  void reset(std::int64_t position);

  enum class Stored { stored, duplicate, late, overlap, full };
  // A packet of `frames` frames at `position`, with its RTP sequence
  // number.  late: all its frames are
  // decoded (or concealed) already; overlap: it overlaps a different
  // packet held (a broken sender); full: kMaxBytes are held.
  Stored store(std::int64_t position, std::size_t frames, std::uint16_t sequence,
               std::span<const std::uint8_t> packet);

  // Decodes into `ring`, in order, until the frames before `target` are
  // there (perhaps a little beyond, to the end of a packet).  Returns the
  // frames concealed in gaps between packets (lost packets); concealment
  // past the newest packet is not counted here (it may be the stream's
  // end): the caller counts it when a later packet shows it was a loss
  // (count_tail_loss()).
  std::size_t decode(FrameRing& ring, std::int64_t target);
  // Playout skipped frames (ring.base() moved on): packets before it are
  // dropped, and decoding starts afresh where playout is.
  void skip_to(std::int64_t base);
  // `frames` concealed past the newest packet turned out to be a loss.
  void count_tail_loss(std::size_t frames);

  // Where decoding has reached: frames before it are in the ring.
  std::int64_t decoded_to() const { return cursor_; }
  std::size_t held_bytes() const { return bytes_; }

private:
  struct Packet {
    std::vector<std::uint8_t> data;
    std::size_t frames = 0;
    std::uint16_t sequence = 0;
  };
  struct DecoderDeleter {
    void operator()(OpusDecoder* d) const;
  };

  // Decoded samples (native int16, interleaved) written as positions
  // position.. of the ring, those before the cursor left alone.
  void put(FrameRing& ring, std::int64_t position, std::size_t frames);
  std::size_t conceal(std::size_t frames);
  std::size_t lost_packets(std::size_t frames) const;
  // `frames` of lost packets concealed in one run.
  void count_concealed(std::size_t frames);
  void reset_decoder();

  OpusStats& stats_;
  std::unique_ptr<OpusDecoder, DecoderDeleter> decoder_;
  std::map<std::int64_t, Packet> packets_;
  std::size_t bytes_ = 0;
  std::int64_t cursor_ = 0;
  // The length of the last packet decoded: the step of concealment past
  // the newest packet, and what a lost packet is assumed to have been.
  std::size_t last_frames_ = 960;
  // The sequence number of the last packet decoded, if any since reset.
  bool have_sequence_ = false;
  std::uint16_t last_sequence_ = 0;
  std::vector<std::int16_t> pcm_;
  std::vector<std::uint8_t> bytes_out_;
};

} // namespace disorder::playrtp
