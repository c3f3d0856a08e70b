// Packet placement policy: late, early, duplicate, marker, jumps.
#include "jitter_buffer.hpp"

#include <algorithm>

namespace disorder::playrtp {

namespace {

// Room for the largest packet past --max, so that a packet that arrives
// just under the limit always fits.
constexpr std::size_t kMaxPayloadBytes = 65536;

} // namespace

JitterBuffer::JitterBuffer(const Settings& settings)
    : settings_(settings), tracker_(settings.dynamic_format, settings.dynamic_opus) {
  settings_.max_frames = std::max<std::size_t>(settings_.max_frames, 1);
}

std::size_t JitterBuffer::buffered_frames() const {
  return high_ > ring_.base() ? static_cast<std::size_t>(high_ - ring_.base()) : 0;
}

JitterBuffer::Outcome JitterBuffer::insert(const RtpPacket& packet, std::int64_t now_ns) {
  ++stats_.packets;
  const StreamTracker::Result r = tracker_.track(packet, now_ns);
  using V = StreamTracker::Result::Verdict;
  switch (r.verdict) {
  case V::unsupported:
    ++stats_.unsupported;
    return Outcome::unsupported;
  case V::malformed:
    ++stats_.malformed;
    return Outcome::malformed;
  case V::held:
    ++stats_.held;
    return Outcome::held;
  case V::placed:
    break;
  }
  if (r.new_stream) {
    ++stats_.streams;
    const AudioFormat& f = tracker_.format();
    reception_.reset(static_cast<double>(f.rate) *
                     (tracker_.unit() == TimestampUnit::samples ? f.channels : 1));
    const std::size_t bpf = tracker_.format().bytes_per_frame();
    if (bpf != ring_bpf_) {
      ring_.configure(settings_.max_frames + kMaxPayloadBytes / bpf, bpf);
      ring_bpf_ = bpf;
    }
    if (!tracker_.opus())
      opus_.reset();
    else if (!opus_)
      opus_ = std::make_unique<OpusStage>(stats_.opus);
    duplicates_.reset();
    resync(r.first_position);
    resolve_sync();
  }
  Outcome outcome = Outcome::held;
  bool copy = false; // this packet is a copy of one received before
  for (const PlacedPacket& p : r.packets) {
    if (duplicates_.arrived(p.sequence)) {
      ++stats_.duplicates;
      outcome = Outcome::duplicate;
      if (p.sequence == packet.header.sequence) copy = true;
      continue;
    }
    outcome = opus_ ? place_opus(p) : place(p);
  }
  // Copies are not counted as received (RFC 3550 allows either): so the
  // loss reported to the sender is what is still missing once the copies
  // a sender may send on purpose have filled in, and never negative.
  if (!copy && packet.header.ssrc == tracker_.ssrc())
    reception_.received(packet.header.sequence, packet.header.timestamp, now_ns);
  return outcome;
}

void JitterBuffer::resync(std::int64_t position) {
  ring_.reset(position);
  clock_.reset();
  start_ = high_ = position;
  if (opus_) opus_->reset(position);
  late_run_ = jump_run_ = 0;
  ++generation_;
}

std::optional<JitterBuffer::Outcome> JitterBuffer::admit(const PlacedPacket& p) {
  const std::int64_t quiet_ns = p.arrival_ns - last_arrival_ns_;
  last_arrival_ns_ = p.arrival_ns;
  const std::int64_t end = p.position + static_cast<std::int64_t>(p.frames);
  const std::int64_t base = ring_.base();
  const auto capacity = static_cast<std::int64_t>(ring_.capacity());
  // A talk-spurt begins after the buffer ran dry: measure its delay afresh.
  // (When audio is still queued the marker changes nothing: cutting that
  // audio short would be worse than any re-anchoring gains.)
  // Opus senders may mark every packet (RFC 7587 asks for the first after
  // DTX only), and an Opus buffer runs dry whenever a lost packet is
  // concealed before the next arrives: there, only a marker after a real
  // pause in arrivals starts a talk-spurt.
  if (p.marker && drained() && high_ > start_ && (!opus_ || quiet_ns > kTalkSpurtQuietNs)) {
    ++stats_.resyncs;
    resync(p.position);
  } else if (end <= base) {
    ++stats_.late;
    if (base - end > capacity)
      ++jump_run_;
    else
      ++late_run_;
    if (jump_run_ < kJumpRun && late_run_ < kLateRun) return Outcome::late;
    ++stats_.resyncs;
    resync(p.position);
  } else if (end > base + capacity) {
    ++stats_.early;
    if (++jump_run_ < kJumpRun) return Outcome::early;
    ++stats_.resyncs;
    resync(p.position);
  }
  late_run_ = jump_run_ = 0;
  return std::nullopt;
}

JitterBuffer::Outcome JitterBuffer::place(const PlacedPacket& p) {
  if (const auto refused = admit(p)) return *refused;
  const std::int64_t end = p.position + static_cast<std::int64_t>(p.frames);
  // Its first frames were due before it came: they were played as silence
  // (or skipped); the rest plays.
  if (p.position < ring_.base()) ++stats_.late;
  const std::size_t bpf = ring_.bytes_per_frame();
  if (ring_.store(p.position, p.payload.first(p.frames * bpf)) == 0) {
    ++stats_.duplicates;
    return Outcome::duplicate;
  }
  ++stats_.accepted;
  // Playout ran past the newest frame before this packet came: what it
  // played between the two, as silence, is a hole too (a packet lost just
  // before this one), only found out now.
  if (p.position > high_ && ring_.base() > high_)
    stats_.frames_concealed +=
        static_cast<std::uint64_t>(std::min(ring_.base(), p.position) - high_);
  high_ = std::max(high_, end);
  clock_.observe(p.position, tracker_.format().rate, p.arrival_ns);
  return Outcome::accepted;
}

JitterBuffer::Outcome JitterBuffer::place_opus(const PlacedPacket& p) {
  if (const auto refused = admit(p)) return *refused;
  const std::int64_t decoded = opus_->decoded_to();
  switch (opus_->store(p.position, p.frames, p.sequence, p.payload)) {
  case OpusStage::Stored::duplicate:
    ++stats_.duplicates;
    return Outcome::duplicate;
  case OpusStage::Stored::late:
    ++stats_.late;
    return Outcome::late;
  case OpusStage::Stored::overlap:
    ++stats_.malformed;
    return Outcome::malformed;
  case OpusStage::Stored::full:
    ++stats_.early;
    return Outcome::early;
  case OpusStage::Stored::stored:
    break;
  }
  // Its first frames were decoded (concealed) before it came.
  if (p.position < decoded) ++stats_.late;
  ++stats_.accepted;
  // What was concealed past the newest packet before this one came was a
  // loss (see place()) -- unless this packet follows the newest in
  // sequence: then nothing was sent in between (see opus_stage.hpp).
  if (p.position > high_ && decoded > high_ &&
      static_cast<std::uint16_t>(p.sequence - newest_sequence_) != 1) {
    const auto lost = static_cast<std::uint64_t>(std::min(decoded, p.position) - high_);
    stats_.frames_concealed += lost;
    opus_->count_tail_loss(lost);
  }
  const std::int64_t end = p.position + static_cast<std::int64_t>(p.frames);
  if (end > high_) newest_sequence_ = p.sequence;
  high_ = std::max(high_, end);
  clock_.observe(p.position, tracker_.format().rate, p.arrival_ns);
  return Outcome::accepted;
}

JitterStats JitterBuffer::stats() const {
  JitterStats s = stats_;
  s.saved_by_duplicate = duplicates_.saved();
  return s;
}

void JitterBuffer::set_sync(const std::optional<SyncAnchor>& anchor) {
  anchor_ = anchor;
  resolve_sync();
}

void JitterBuffer::resolve_sync() {
  schedule_.reset();
  if (!anchor_ || !tracker_.following() || anchor_->ssrc != tracker_.ssrc()) return;
  if (const auto p_sr = tracker_.position_of(anchor_->rtp_timestamp))
    schedule_.emplace(*anchor_, *p_sr, tracker_.format().rate);
}

double JitterBuffer::due_offset(std::int64_t when_ns, std::int64_t latency_ns) const {
  if (schedule_) return schedule_->position_at(when_ns) - static_cast<double>(ring_.base());
  if (!clock_.valid()) return 0;
  if (expected_latency_ns_ > 0) latency_ns = expected_latency_ns_;
  const std::uint32_t rate = tracker_.format().rate;
  const __int128 due = static_cast<__int128>(when_ns + clock_.offset_ns() - latency_ns) * rate;
  const __int128 here = static_cast<__int128>(ring_.base()) * 1'000'000'000;
  return static_cast<double>(due - here) / 1e9;
}

FrameRing::Taken JitterBuffer::take(std::size_t frames, char* out) {
  // Holes below the newest frame are losses (or packets still to come
  // late); past it the stream has simply not sent more yet.
  const std::int64_t before_high = std::max<std::int64_t>(0, high_ - ring_.base());
  if (opus_)
    stats_.frames_concealed +=
        opus_->decode(ring_, ring_.base() + static_cast<std::int64_t>(frames));
  const FrameRing::Taken t = ring_.take(frames, out);
  stats_.frames_played += t.present;
  const std::int64_t holes = std::min(static_cast<std::int64_t>(frames), before_high) -
                             static_cast<std::int64_t>(t.present);
  if (holes > 0) stats_.frames_concealed += static_cast<std::uint64_t>(holes);
  return t;
}

void JitterBuffer::skip(std::size_t frames) {
  ring_.skip(frames);
  if (opus_) opus_->skip_to(ring_.base());
}

} // namespace disorder::playrtp
