// Which RTP stream disorder-playrtp follows, and where each of its packets
// lies on that stream's timeline.
//
// A stream is an SSRC sending one payload type.  A packet from a source we
// do not follow is held (a bounded number, by count and bytes) until that
// source has shown a pair of consecutive packets and the followed source,
// if any, has been quiet for kQuietNs; then it is adopted and everything
// held for it is placed.  So a stray datagram cannot capture the listener,
// two senders on one port do not make it flap, and a sender that restarts
// (new SSRC) is picked up within a fraction of a second.
//
// The consecutive pair also says what the timestamps count.  RFC 3551 says
// frames (one tick per sampling instant, whatever the channel count);
// DisOrder 5.2 counted samples (two per stereo frame).  Between packets n
// and n+1 the timestamp advances by packet n's frame count in the first
// case and by frames * channels in the second.  Mono streams are the same
// either way.  If no pair settles it within kDecideAfter packets, frames.
//
// An Opus stream (RFC 7587) always counts 48 kHz frames; its packets are
// placed whole (compressed), each as long as the Opus packet says.
//
// Positions are 64-bit frame counts from the adopted stream's first held
// packet, unwrapped from the 32-bit timestamp (sequence numbers wrap too;
// only their difference of one is used).  Pure: no clock, no I/O.
#pragma once

#include "audio_format.hpp"
#include "rtp.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace disorder::playrtp {

enum class TimestampUnit { frames, samples };

// A packet of the followed stream, placed on its timeline.
struct PlacedPacket {
  std::int64_t position = 0; // its first frame
  std::size_t frames = 0;
  // frames * bytes per frame (any odd tail dropped); Opus: the packet.
  std::span<const std::uint8_t> payload;
  std::int64_t arrival_ns = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
};

class StreamTracker {
public:
  // Quiet time after which another source may take over.
  static constexpr std::int64_t kQuietNs = 100'000'000;
  static constexpr std::size_t kMaxHeld = 32;
  static constexpr std::size_t kMaxHeldBytes = 256 * 1024;
  static constexpr std::size_t kDecideAfter = 8;

  // dynamic_opus: the dynamic payload types carry Opus.
  explicit StreamTracker(const AudioFormat& dynamic_format, bool dynamic_opus = false)
      : dynamic_(dynamic_format), dynamic_opus_(dynamic_opus) {}

  struct Result {
    enum class Verdict { placed, held, unsupported, malformed } verdict = Verdict::held;
    // A new stream was adopted: the listener starts again from first_position.
    bool new_stream = false;
    std::int64_t first_position = 0;
    // Valid until the next track() call (they may point into `packet`).
    std::span<const PlacedPacket> packets;
  };
  // One received packet at local time now_ns.  Never throws (but bad_alloc).
  Result track(const RtpPacket& packet, std::int64_t now_ns);

  bool following() const { return following_; }
  std::uint32_t ssrc() const { return ssrc_; }
  // For Opus, what it decodes to (opus_decoded_format()).
  const AudioFormat& format() const { return format_; }
  bool opus() const { return opus_; }
  TimestampUnit unit() const { return unit_; }
  std::size_t held_bytes() const { return held_bytes_; }

  // Where `timestamp` (of the followed stream, e.g. from its sender
  // reports) lies on the timeline, in frames: unwrapped next to the latest
  // packet's timestamp (so within 2^31 units of it) without moving the
  // unwrapping reference, and divided by the unit, fraction kept (a
  // samples-unit timestamp need not fall on a frame).  nullopt unless
  // following.
  std::optional<double> position_of(std::uint32_t timestamp) const;

private:
  struct Held {
    RtpHeader header;
    std::vector<std::uint8_t> payload; // whole frames only (Opus: the packet)
    std::size_t frames = 0;
    std::int64_t arrival_ns = 0;
  };

  void hold(const RtpPacket& packet, std::size_t bytes, std::size_t frames, std::int64_t now_ns);
  // The unit for (ssrc, pt) from what is held, if settled.
  bool decide_unit(std::uint32_t ssrc, std::uint8_t pt, unsigned channels,
                   TimestampUnit& unit) const;
  Result adopt(std::uint32_t ssrc, std::uint8_t pt, const AudioFormat& format, bool opus,
               TimestampUnit unit);
  // Position of `timestamp` on the followed timeline; false if it does not
  // fall on a frame boundary.
  bool place(std::uint32_t timestamp, std::int64_t& position);

  AudioFormat dynamic_;
  bool dynamic_opus_ = false;
  bool following_ = false;
  bool opus_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint8_t pt_ = 0;
  AudioFormat format_;
  TimestampUnit unit_ = TimestampUnit::frames;
  std::int64_t origin_ = 0;    // extended timestamp of position 0
  std::int64_t reference_ = 0; // extended timestamp that unwrapping is relative to
  std::int64_t last_arrival_ns_ = 0;

  std::vector<Held> held_;     // oldest first
  bool pending_clear_ = false; // held_ was adopted; empty it at the next call
  std::size_t held_bytes_ = 0;
  std::vector<PlacedPacket> placed_;
};

} // namespace disorder::playrtp
