// libFuzzer target for disorder-playrtp's receive path: the input is a
// run of datagrams, each preceded by a two-byte length and a byte that
// says how far the clock moves and how many frames the player takes
// afterwards.  Every datagram goes through the RTP parser and, if it
// parses, into the jitter buffer.  A crash, a hang, a take() that does not
// fill exactly what was asked, or memory beyond the buffer's fixed bound
// is a bug; anything the buffer decides about the packets is fine.  The
// dynamic payload types are L16/L24 or, by the input's first bit, Opus.
// The same bytes, as lines, are also a server's SDP description
// (rtp-sdp), which must give a playable format or none.
#include "clients/playrtp/jitter_buffer.hpp"
#include "clients/playrtp/payload_format.hpp"
#include "rtp.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kMaxFrames = 4410;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace disorder;
  using namespace disorder::playrtp;
  {
    std::vector<std::string> lines(1);
    for (std::size_t i = 0; i < size; ++i)
      if (data[i] == '\n')
        lines.emplace_back();
      else
        lines.back().push_back(static_cast<char>(data[i]));
    if (const auto sdp = sdp_dynamic_payload(lines)) {
      if (sdp->pt < 96 || sdp->pt > 127 || !sdp->format.valid()) __builtin_trap();
      if (sdp->opus && !(sdp->format == opus_decoded_format())) __builtin_trap();
    }
  }
  JitterBuffer::Settings settings;
  settings.dynamic_format.byte_order = std::endian::big;
  // Mono 24-bit for the dynamic types: odd frame sizes.
  settings.dynamic_format.bits = 24;
  settings.dynamic_format.channels = 1;
  settings.dynamic_opus = size > 0 && (data[0] & 1);
  settings.max_frames = kMaxFrames;
  JitterBuffer buffer(settings);
  std::vector<char> out;
  std::int64_t now = 1'000'000'000;
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::size_t length = std::size_t{data[at]} << 8 | data[at + 1];
    const std::uint8_t control = data[at + 2];
    at += 3;
    const std::size_t n = std::min(length, size - at);
    const auto packet = decode_rtp_packet(std::span<const std::uint8_t>(data + at, n));
    at += n;
    if (packet) buffer.insert(*packet, now);
    now += std::int64_t{control & 0x0f} * 1'000'000;
    if (control & 0x10) buffer.skip(control >> 5);
    if (buffer.streaming() && (control & 0x80)) {
      const std::size_t frames = 1 + (control & 0x60) * 8;
      const std::size_t bpf = buffer.format().bytes_per_frame();
      out.assign(frames * bpf + 1, '\x5a');
      const FrameRing::Taken t = buffer.take(frames, out.data());
      if (t.present + t.missing != frames || out[frames * bpf] != '\x5a') __builtin_trap();
      (void)buffer.due_offset(now, 200'000'000);
    }
    // The ring for the largest frame plus what StreamTracker may hold.
    // (and the Opus packets held).
    if (buffer.memory_bytes() >
        (kMaxFrames + 65536) * 49 + StreamTracker::kMaxHeldBytes + OpusStage::kMaxBytes)
      __builtin_trap();
    if (buffer.streaming() && buffer.buffered_frames() > buffer.capacity_frames() &&
        !buffer.drained())
      __builtin_trap();
  }
  return 0;
}
