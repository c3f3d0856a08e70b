// Stream adoption, timestamp units and unwrapping.
#include "stream_tracker.hpp"

#include "opus_stage.hpp"
#include "payload_format.hpp"

#include <algorithm>

namespace disorder::playrtp {

namespace {

// A timestamp more than this far from the reference does not move it, so
// that one wild value in a stream cannot throw unwrapping off by 2^32.
constexpr std::int64_t kMaxReferenceStep = std::int64_t{1} << 29;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

} // namespace

StreamTracker::Result StreamTracker::track(const RtpPacket& packet, std::int64_t now_ns) {
  Result r;
  placed_.clear();
  if (pending_clear_) {
    held_.clear();
    pending_clear_ = false;
  }
  const auto format = payload_format(packet.header.payload_type, dynamic_, dynamic_opus_);
  if (!format) {
    r.verdict = Result::Verdict::unsupported;
    return r;
  }
  const bool opus = payload_is_opus(packet.header.payload_type, dynamic_opus_);
  const std::size_t bpf = format->bytes_per_frame();
  const std::size_t frames =
      opus ? OpusStage::packet_frames(packet.payload) : packet.payload.size() / bpf;
  const std::size_t bytes = opus ? packet.payload.size() : frames * bpf;
  if (frames == 0) {
    r.verdict = Result::Verdict::malformed;
    return r;
  }
  if (following_ && packet.header.ssrc == ssrc_ && packet.header.payload_type == pt_) {
    PlacedPacket p;
    if (!place(packet.header.timestamp, p.position)) {
      r.verdict = Result::Verdict::malformed;
      return r;
    }
    last_arrival_ns_ = now_ns;
    p.frames = frames;
    p.payload = packet.payload.first(bytes);
    p.arrival_ns = now_ns;
    p.marker = packet.header.marker;
    p.sequence = packet.header.sequence;
    placed_.push_back(p);
    r.verdict = Result::Verdict::placed;
    r.packets = placed_;
    return r;
  }

  hold(packet, bytes, frames, now_ns);
  r.verdict = Result::Verdict::held;
  if (following_ && now_ns - last_arrival_ns_ < kQuietNs) return r;
  TimestampUnit unit = TimestampUnit::frames;
  const std::uint32_t ssrc = packet.header.ssrc;
  const std::uint8_t pt = packet.header.payload_type;
  // Opus always counts frames (RFC 7587).
  if (!opus && format->channels > 1 && !decide_unit(ssrc, pt, format->channels, unit)) {
    const auto count = std::count_if(held_.begin(), held_.end(), [&](const Held& h) {
      return h.header.ssrc == ssrc && h.header.payload_type == pt;
    });
    if (static_cast<std::size_t>(count) < kDecideAfter) return r;
  }
  return adopt(ssrc, pt, *format, opus, unit);
}

void StreamTracker::hold(const RtpPacket& packet, std::size_t bytes, std::size_t frames,
                         std::int64_t now_ns) {
  while (!held_.empty() && (held_.size() >= kMaxHeld || held_bytes_ + bytes > kMaxHeldBytes)) {
    held_bytes_ -= held_.front().payload.size();
    held_.erase(held_.begin());
  }
  if (bytes > kMaxHeldBytes) return; // larger than the whole budget: not worth keeping
  Held h;
  h.header = packet.header;
  h.payload.assign(packet.payload.begin(), packet.payload.begin() + static_cast<long>(bytes));
  h.frames = frames;
  h.arrival_ns = now_ns;
  held_bytes_ += bytes;
  held_.push_back(std::move(h));
}

bool StreamTracker::decide_unit(std::uint32_t ssrc, std::uint8_t pt, unsigned channels,
                                TimestampUnit& unit) const {
  for (const Held& a : held_) {
    if (a.header.ssrc != ssrc || a.header.payload_type != pt) continue;
    for (const Held& b : held_) {
      if (b.header.ssrc != ssrc || b.header.payload_type != pt || b.header.marker) continue;
      if (rtp_sequence_delta(a.header.sequence, b.header.sequence) != 1) continue;
      const std::uint32_t step = b.header.timestamp - a.header.timestamp;
      const std::size_t frames = a.frames;
      if (step == frames) {
        unit = TimestampUnit::frames;
        return true;
      }
      if (step == frames * channels) {
        unit = TimestampUnit::samples;
        return true;
      }
    }
  }
  return false;
}

StreamTracker::Result StreamTracker::adopt(std::uint32_t ssrc, std::uint8_t pt,
                                           const AudioFormat& format, bool opus,
                                           TimestampUnit unit) {
  following_ = true;
  opus_ = opus;
  ssrc_ = ssrc;
  pt_ = pt;
  format_ = format;
  unit_ = unit;
  bool first = true;
  Result r;
  r.new_stream = true;
  r.verdict = Result::Verdict::placed;
  for (const Held& h : held_) {
    if (h.header.ssrc != ssrc || h.header.payload_type != pt) continue;
    if (first) {
      origin_ = reference_ = h.header.timestamp;
      first = false;
    }
    PlacedPacket p;
    if (!place(h.header.timestamp, p.position)) continue;
    p.frames = h.frames;
    p.payload = h.payload;
    p.arrival_ns = h.arrival_ns;
    p.marker = h.header.marker;
    p.sequence = h.header.sequence;
    last_arrival_ns_ = h.arrival_ns;
    placed_.push_back(p);
  }
  r.first_position = placed_.empty() ? 0 : placed_.front().position;
  for (const PlacedPacket& p : placed_)
    r.first_position = std::min(r.first_position, p.position);
  // The packets point into held_, which stays as it is until the next
  // call; that call empties it first.
  r.packets = placed_;
  held_bytes_ = 0;
  pending_clear_ = true;
  return r;
}

std::optional<double> StreamTracker::position_of(std::uint32_t timestamp) const {
  if (!following_) return std::nullopt;
  const auto delta = static_cast<std::int32_t>(timestamp - static_cast<std::uint32_t>(reference_));
  const std::int64_t units = reference_ + delta - origin_;
  const double per_frame = unit_ == TimestampUnit::samples ? format_.channels : 1;
  return static_cast<double>(units) / per_frame;
}

bool StreamTracker::place(std::uint32_t timestamp, std::int64_t& position) {
  const auto delta = static_cast<std::int32_t>(timestamp - static_cast<std::uint32_t>(reference_));
  const std::int64_t extended = reference_ + delta;
  if (delta > -kMaxReferenceStep && delta < kMaxReferenceStep) reference_ = extended;
  const std::int64_t per_frame = unit_ == TimestampUnit::samples ? format_.channels : 1;
  const std::int64_t units = extended - origin_;
  if (units % per_frame != 0) return false;
  position = floor_div(units, per_frame);
  return true;
}

} // namespace disorder::playrtp
