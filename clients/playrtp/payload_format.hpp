// What an RTP payload type means as audio for disorder-playrtp: the static
// L16 types of RFC 3551 (10: 44.1 kHz stereo, 11: 44.1 kHz mono) and the
// dynamic range 96..127, whose format the listener is told (--format;
// 16-bit 44.1 kHz stereo by default, which is what senders that need a
// dynamic type for L16 at that rate usually mean), or that it is told
// carry Opus (RFC 7587: --format opus, --encoding opus, or the server's
// SDP).  Payload samples are big-endian signed integers (L16, L24); Opus
// payloads are decoded (OpusStage) into 16-bit 48 kHz stereo.
#pragma once

#include "audio_format.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disorder::playrtp {

// The format of payload type `pt`, or nullopt for a type we cannot play.
// dynamic_opus: the dynamic types carry Opus; their format is then
// opus_decoded_format().
std::optional<AudioFormat> payload_format(std::uint8_t pt, const AudioFormat& dynamic,
                                          bool dynamic_opus = false);
// Payload type `pt` carries Opus.
bool payload_is_opus(std::uint8_t pt, bool dynamic_opus);
// What an Opus stream decodes to, as the jitter buffer holds it: 16-bit
// big-endian, 48 kHz (the RTP clock of every Opus stream), stereo.
AudioFormat opus_decoded_format();

// From an SDP description (the server's rtp-sdp): whether its audio
// payload type `pt` is Opus ("a=rtpmap:PT opus/48000/2"), or the format
// of an L16/L24 one ("a=rtpmap:PT L16/RATE[/CHANNELS]"); nullopt when the
// description does not say (no such line, or one we cannot read).
struct SdpPayload {
  std::uint8_t pt = 0;
  bool opus = false;
  AudioFormat format; // L16/L24; for Opus, opus_decoded_format()
};
std::optional<SdpPayload> sdp_dynamic_payload(const std::vector<std::string>& lines);

// "BITS/RATE/CHANNELS" (16 or 24 bits, 1..768000 Hz, 1..8 channels) as a
// big-endian format.  Throws SyntaxError naming what is wrong.
AudioFormat parse_payload_format(std::string_view text);

// Big-endian signed samples of `bits` (16 or 24) to int32 with the sample's
// most significant bit at bit 31 (the Converter's intermediate form).
void decode_network_samples(const char* in, std::int32_t* out, std::size_t samples, unsigned bits);

} // namespace disorder::playrtp
