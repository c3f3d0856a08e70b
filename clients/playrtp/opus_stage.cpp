// Opus packets held by position and decoded in order, with FEC and PLC.
#include "opus_stage.hpp"

#include "error.hpp"

#include <algorithm>
#include <opus.h>
#include <string>

namespace disorder::playrtp {

void OpusStage::DecoderDeleter::operator()(OpusDecoder* d) const {
  opus_decoder_destroy(d);
}

std::size_t OpusStage::packet_frames(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return 0;
  const int n =
      opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()), kRate);
  return n > 0 && static_cast<std::size_t>(n) <= kMaxPacketFrames ? static_cast<std::size_t>(n) : 0;
}

bool OpusStage::has_fec(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return false;
  // Configurations 16..31 are CELT only, which has no FEC (RFC 6716 3.1).
  if ((packet[0] >> 3) >= 16) return false;
  const unsigned char* frames[48];
  opus_int16 sizes[48];
  const int n = opus_packet_parse(packet.data(), static_cast<opus_int32>(packet.size()), nullptr,
                                  frames, sizes, nullptr);
  if (n <= 0 || sizes[0] == 0) return false;
  // The first frame's SILK header (RFC 6716 4.2.3): for each channel, a
  // voice-activity bit per 20 ms SILK frame and then the LBRR flag, coded
  // as equiprobable bits, so the leading bits of its first byte.
  const int per_frame = opus_packet_get_samples_per_frame(packet.data(), kRate);
  const int silk_frames = per_frame > 960 ? per_frame / 960 : 1;
  const unsigned first = frames[0][0];
  bool lbrr = (first >> (7 - silk_frames)) & 1;
  if (opus_packet_get_nb_channels(packet.data()) == 2)
    lbrr = lbrr || ((first >> (6 - 2 * silk_frames)) & 1);
  return lbrr;
}

OpusStage::OpusStage(OpusStats& stats)
    : stats_(stats), pcm_(kMaxPacketFrames * kChannels),
      bytes_out_(kMaxPacketFrames * kChannels * 2) {
  int error = OPUS_OK;
  decoder_.reset(opus_decoder_create(kRate, kChannels, &error));
  if (!decoder_ || error != OPUS_OK)
    throw Error(std::string("cannot make an Opus decoder: ") + opus_strerror(error));
}

OpusStage::~OpusStage() = default;

void OpusStage::reset_decoder() {
  opus_decoder_ctl(decoder_.get(), OPUS_RESET_STATE);
}

void OpusStage::reset(std::int64_t position) {
  packets_.clear();
  bytes_ = 0;
  cursor_ = position;
  last_frames_ = 960;
  have_sequence_ = false;
  reset_decoder();
}

OpusStage::Stored OpusStage::store(std::int64_t position, std::size_t frames,
                                   std::uint16_t sequence, std::span<const std::uint8_t> packet) {
  const std::int64_t end = position + static_cast<std::int64_t>(frames);
  if (end <= cursor_) return Stored::late;
  auto next = packets_.lower_bound(position);
  if (next != packets_.end() && next->first == position) return Stored::duplicate;
  if (next != packets_.end() && next->first < end) return Stored::overlap;
  if (next != packets_.begin()) {
    const auto previous = std::prev(next);
    if (previous->first + static_cast<std::int64_t>(previous->second.frames) > position)
      return Stored::overlap;
  }
  if (bytes_ + packet.size() > kMaxBytes) return Stored::full;
  Packet p;
  p.data.assign(packet.begin(), packet.end());
  p.frames = frames;
  p.sequence = sequence;
  bytes_ += packet.size();
  packets_.emplace_hint(next, position, std::move(p));
  return Stored::stored;
}

void OpusStage::skip_to(std::int64_t base) {
  while (!packets_.empty() &&
         packets_.begin()->first + static_cast<std::int64_t>(packets_.begin()->second.frames) <=
             base) {
    bytes_ -= packets_.begin()->second.data.size();
    packets_.erase(packets_.begin());
  }
  if (cursor_ < base) {
    // What was skipped is never heard: the next packet starts a new
    // stretch of audio, not the continuation of the last one decoded.
    cursor_ = base;
    have_sequence_ = false;
    reset_decoder();
  }
}

void OpusStage::put(FrameRing& ring, std::int64_t position, std::size_t frames) {
  const std::int64_t skip = std::max<std::int64_t>(0, cursor_ - position);
  if (skip >= static_cast<std::int64_t>(frames)) return;
  std::uint8_t* out = bytes_out_.data();
  const std::size_t first = static_cast<std::size_t>(skip) * kChannels;
  const std::size_t samples = frames * kChannels;
  for (std::size_t i = first; i < samples; ++i) {
    const auto v = static_cast<std::uint16_t>(pcm_[i]);
    *out++ = static_cast<std::uint8_t>(v >> 8);
    *out++ = static_cast<std::uint8_t>(v);
  }
  ring.store(position + skip,
             std::span<const std::uint8_t>(bytes_out_.data(), (samples - first) * 2));
}

// PLC of `frames` (a multiple of kGranule, at most kMaxPacketFrames) into
// pcm_.  Returns the frames made (0 if libopus failed: silence then).
std::size_t OpusStage::conceal(std::size_t frames) {
  const int n = opus_decode(decoder_.get(), nullptr, 0, pcm_.data(), static_cast<int>(frames), 0);
  if (n == static_cast<int>(frames)) return frames;
  std::fill(pcm_.begin(), pcm_.begin() + static_cast<long>(frames * kChannels), 0);
  return frames;
}

std::size_t OpusStage::lost_packets(std::size_t frames) const {
  return (frames + last_frames_ - 1) / last_frames_;
}

void OpusStage::count_tail_loss(std::size_t frames) {
  count_concealed(frames);
}

void OpusStage::count_concealed(std::size_t frames) {
  stats_.plc += lost_packets(frames);
  ++stats_.plc_gaps;
  if (frames > kLongGapFrames) ++stats_.plc_long_gaps;
  stats_.plc_longest = std::max<std::uint64_t>(stats_.plc_longest, frames);
}

std::size_t OpusStage::decode(FrameRing& ring, std::int64_t target) {
  std::size_t concealed = 0;
  if (cursor_ < ring.base()) skip_to(ring.base());
  while (cursor_ < target) {
    auto it = packets_.begin();
    if (it != packets_.end() && it->first <= cursor_) {
      // The packet at the cursor (or one that came partly late): decoded
      // as it came.
      const Packet& p = it->second;
      const int n =
          opus_decode(decoder_.get(), p.data.data(), static_cast<opus_int32>(p.data.size()),
                      pcm_.data(), static_cast<int>(kMaxPacketFrames), 0);
      if (n == static_cast<int>(p.frames)) {
        ++stats_.decoded;
      } else {
        ++stats_.undecodable;
        std::size_t made = 0;
        const std::size_t whole = p.frames / kGranule * kGranule;
        if (whole) made = conceal(whole);
        std::fill(pcm_.begin() + static_cast<long>(made * kChannels),
                  pcm_.begin() + static_cast<long>(p.frames * kChannels), 0);
        concealed += p.frames;
      }
      last_frames_ = p.frames;
      have_sequence_ = true;
      last_sequence_ = p.sequence;
      put(ring, it->first, p.frames);
      cursor_ = std::max(cursor_, it->first + static_cast<std::int64_t>(p.frames));
      bytes_ -= p.data.size();
      packets_.erase(it);
      continue;
    }
    if (it != packets_.end()) {
      // A gap before the next packet: lost packets.  The last of them is
      // rebuilt from the next packet's FEC if it has some; the rest (and
      // all of them otherwise) concealed.  PLC and FEC go by 2.5 ms; a
      // remainder (a sender off that grid) stays silent.
      const Packet& next = it->second;
      const auto gap = static_cast<std::size_t>(it->first - cursor_);
      const std::size_t whole = gap / kGranule * kGranule;
      // Nothing was sent in between (see above): concealed, not counted.
      const bool sent_nothing =
          have_sequence_ && static_cast<std::uint16_t>(next.sequence - last_sequence_) == 1;
      const std::size_t fec =
          !sent_nothing && whole >= next.frames && has_fec(next.data) ? next.frames : 0;
      std::size_t plc = whole - fec;
      const std::int64_t start = cursor_;
      std::size_t done = 0;
      while (done < plc) {
        const std::size_t n = std::min(plc - done, kMaxPacketFrames);
        conceal(n);
        put(ring, start + static_cast<std::int64_t>(done), n);
        done += n;
      }
      if (fec) {
        const int n =
            opus_decode(decoder_.get(), next.data.data(), static_cast<opus_int32>(next.data.size()),
                        pcm_.data(), static_cast<int>(fec), 1);
        if (n == static_cast<int>(fec)) {
          ++stats_.fec;
        } else {
          conceal(fec);
          plc += fec;
        }
        put(ring, start + static_cast<std::int64_t>(done), fec);
      }
      if (sent_nothing) {
        cursor_ = it->first;
        continue;
      }
      if (plc) count_concealed(plc);
      concealed += plc + (gap - whole);
      cursor_ = it->first;
      continue;
    }
    // Past the newest packet: concealed a packet's length at a time.
    const std::size_t n = std::max<std::size_t>(last_frames_ / kGranule * kGranule, kGranule);
    conceal(n);
    put(ring, cursor_, n);
    cursor_ += static_cast<std::int64_t>(n);
  }
  return concealed;
}

} // namespace disorder::playrtp
