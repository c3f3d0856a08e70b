// libFuzzer target for disorder-web's reading of the jukebox's RTP packets
// (rtp_l16_payload in web/stream_source.cpp), which takes whatever arrives
// at its UDP port.  The input is one datagram.  A crash, a read outside it,
// or an answer that is not whole stereo frames (twice the payload's samples
// for mono) is a bug; refusing the packet is fine.
//
// Run it under libFuzzer with `scripts/fuzz web-rtp [SECONDS]`; `make check`
// gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
#include "web/stream_source.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint16_t sequence = 0;
  int payload_type = -1;
  const std::span<const unsigned char> packet(data, size);
  auto samples = disorder::web::rtp_l16_payload(packet, sequence, payload_type);
  if (samples) {
    if (samples->size() % 2 != 0) __builtin_trap();
    // Never more than the packet holds (a mono sample becomes two).
    if (samples->size() > size) __builtin_trap();
  }
  return 0;
}
