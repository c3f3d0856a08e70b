// disorder-playrtp's jitter buffer: every received RTP packet goes in
// (insert), the player takes frames out at the play position (take), and
// the buffer says which stream position is due at a given local time
// (due_offset), which is what schedules playout.
//
// Packets are keyed by timestamp (StreamTracker places them on the
// stream's timeline) and stored in a FrameRing, so reordering costs
// nothing, a duplicate finds its frames already there and is dropped, a
// packet whose frames have all been played is late and dropped, and a
// lost packet leaves a hole that plays as silence of exactly its length,
// keeping the output on the sender's timeline.
//
// Playout: synchronised, when the loop thread has given the sender's
// timeline (set_sync(): its latest SR and our estimate of its clock) for
// the stream being followed, frame p is due when SyncSchedule says, which
// is the same instant for every listener.  Otherwise frame p is due at
// p / rate - offset + latency on the local monotonic clock, where offset is
// ArrivalClock's estimate of the sender's clock (from the least-delayed
// recent packets) and latency is the target (--min): each listener plays
// `latency` after the packets' jitter-free arrival, which leaves listeners
// apart by the difference in their network delays and clocks.
//
// The generation changes whenever the player must re-anchor: a new stream;
// a marker bit (RFC 3551: first packet after a silence) arriving when the
// buffer has run dry, so the new talk-spurt's delay is measured afresh;
// and a timeline jump, seen as kJumpRun packets in a row that are far
// outside the window (or kLateRun that are late), from a sender that
// restarted its timestamps without changing SSRC.
//
// An Opus stream's packets are held compressed by OpusStage and decoded
// into the ring, in order, as take() reaches them (so a loss is rebuilt
// from the next packet's FEC or concealed; see opus_stage.hpp).  Copies of
// a packet (same sequence number) are dropped, for either kind of stream,
// by DuplicateFilter, which also counts the packets a duplicate saved.
//
// Threads: none of its own; disorder-playrtp's audio thread uses it, under
// a mutex that lets the loop thread read its statistics.  Memory: fixed
// by the settings and the stream's format (at most capacity_frames() frames
// plus StreamTracker's held packets, and for Opus OpusStage::kMaxBytes of
// packets and one decoder), whatever arrives.
#pragma once

#include "arrival_clock.hpp"
#include "audio_format.hpp"
#include "duplicate_filter.hpp"
#include "frame_ring.hpp"
#include "opus_stage.hpp"
#include "reception_stats.hpp"
#include "rtp.hpp"
#include "stream_tracker.hpp"
#include "sync_schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace disorder::playrtp {

struct JitterStats {
  std::uint64_t packets = 0;     // datagrams that parsed as RTP
  std::uint64_t accepted = 0;    // stored (at least one new frame)
  std::uint64_t duplicates = 0;  // a copy of a packet already received (sequence number or frames)
  std::uint64_t late = 0;        // arrived after its play time began (all or part dropped)
  std::uint64_t early = 0;       // beyond the buffer's end
  std::uint64_t unsupported = 0; // payload type we cannot play
  std::uint64_t malformed = 0;   // no whole frame, or a timestamp between frames
  std::uint64_t held = 0;        // from a source not (yet) followed
  std::uint64_t streams = 0;     // streams adopted
  std::uint64_t resyncs = 0;     // marker bits and timeline jumps that re-anchored playout
  std::uint64_t frames_played = 0;
  // Holes (lost or late packets) played as silence, or for Opus concealed
  // by its PLC.
  std::uint64_t frames_concealed = 0;
  std::uint64_t saved_by_duplicate = 0; // arrived once while the packets around came twice
  OpusStats opus;                       // Opus streams: FEC, PLC
};

class JitterBuffer {
public:
  static constexpr std::uint64_t kLateRun = 16;
  static constexpr std::uint64_t kJumpRun = 3;
  // Opus: the pause in arrivals before a marked packet that makes it a
  // new talk-spurt.
  static constexpr std::int64_t kTalkSpurtQuietNs = 100'000'000;

  struct Settings {
    AudioFormat dynamic_format; // payload types 96..127
    bool dynamic_opus = false;  // ...carry Opus (dynamic_format is then unused)
    std::size_t max_frames = 0; // --max: full() from here
  };
  enum class Outcome { accepted, duplicate, late, early, held, unsupported, malformed };

  explicit JitterBuffer(const Settings& settings);

  // --- network side
  Outcome insert(const RtpPacket& packet, std::int64_t now_ns);
  // Frames between the play position and the newest frame received.
  std::size_t buffered_frames() const;
  // At --max: the reader stops reading until the player has taken some.
  bool full() const { return streaming() && buffered_frames() >= settings_.max_frames; }

  // --- playout side
  bool streaming() const { return tracker_.following(); }
  // For Opus, what it is decoded to: 16-bit 48 kHz stereo.
  const AudioFormat& format() const { return tracker_.format(); }
  bool opus() const { return tracker_.following() && tracker_.opus(); }
  std::uint32_t ssrc() const { return tracker_.ssrc(); }
  TimestampUnit timestamp_unit() const { return tracker_.unit(); }
  std::uint64_t generation() const { return generation_; }
  std::uint64_t stream_number() const { return stats_.streams; }
  // The next frame take() returns.
  std::int64_t position() const { return ring_.base(); }
  // Where this generation's audio starts.
  std::int64_t start() const { return start_; }
  // (Stream position due to be heard at local time when_ns) - position(),
  // in frames; 0 without a stream.  latency_ns is the arrival-based
  // schedule's; a synchronised one has its own.
  double due_offset(std::int64_t when_ns, std::int64_t latency_ns) const;

  // --- synchronisation (loop thread, under the same lock)
  // The sender's timeline, kept until replaced (nullopt: none, play by
  // arrival).  Used while it is about the stream being followed (its SSRC).
  void set_sync(const std::optional<SyncAnchor>& anchor);
  // Playing on the sender's timeline.
  bool synchronised() const { return schedule_.has_value(); }
  // The sender states a timeline with this latency, and our estimate of
  // its clock is not ready yet (0: none): meanwhile the arrival-based
  // schedule plays at that latency instead of the target, which puts it
  // within the network's delay of where the timeline will, and playout
  // glides the rest when it comes.
  void expect_sync(std::int64_t latency_ns) { expected_latency_ns_ = latency_ns; }
  const std::optional<SyncSchedule>& schedule() const { return schedule_; }
  // Receiver statistics of the followed source (RFC 3550), for reports.
  ReceptionStats& reception() { return reception_; }
  const ReceptionStats& reception() const { return reception_; }
  // Nothing at or after position() has arrived.
  bool drained() const { return high_ <= ring_.base(); }
  std::int64_t last_arrival_ns() const { return last_arrival_ns_; }
  // The end of the newest frame received (this generation).
  std::int64_t newest() const { return high_; }
  // `frames` frames in the stream's format (big-endian) into out.  For
  // Opus, decodes what it reaches first.
  FrameRing::Taken take(std::size_t frames, char* out);
  void skip(std::size_t frames);

  JitterStats stats() const;
  std::size_t capacity_frames() const { return ring_.capacity(); }
  std::size_t memory_bytes() const {
    return ring_.memory_bytes() + tracker_.held_bytes() + (opus_ ? opus_->held_bytes() : 0);
  }

private:
  // The checks every packet passes (markers, late, early, jumps); an
  // outcome if it goes no further.
  std::optional<Outcome> admit(const PlacedPacket& packet);
  Outcome place(const PlacedPacket& packet);
  // Where an Opus packet goes: OpusStage, which decodes it later.
  Outcome place_opus(const PlacedPacket& packet);
  void resync(std::int64_t position);
  void resolve_sync();

  Settings settings_;
  StreamTracker tracker_;
  FrameRing ring_;
  std::unique_ptr<OpusStage> opus_; // while following an Opus stream
  DuplicateFilter duplicates_;
  ArrivalClock clock_;
  std::size_t ring_bpf_ = 0;
  std::uint64_t generation_ = 0;
  std::int64_t start_ = 0;
  std::int64_t high_ = 0;             // end of the newest frame stored this generation
  std::uint16_t newest_sequence_ = 0; // Opus: of the packet that ends at high_
  std::int64_t last_arrival_ns_ = 0;
  std::uint64_t late_run_ = 0, jump_run_ = 0;
  JitterStats stats_;
  std::optional<SyncAnchor> anchor_;
  std::int64_t expected_latency_ns_ = 0;
  std::optional<SyncSchedule> schedule_; // anchor_ placed on the followed stream
  ReceptionStats reception_;
};

} // namespace disorder::playrtp
