// What an RTP payload type means as audio for disorder-playrtp: the static
// L16 types of RFC 3551 (10: 44.1 kHz stereo, 11: 44.1 kHz mono) and the
// dynamic range 96..127, whose format the listener is told (--format;
// 16-bit 44.1 kHz stereo by default, which is what senders that need a
// dynamic type for L16 at that rate usually mean).  Payload samples are
// big-endian signed integers (L16, L24).
#pragma once

#include "audio_format.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace disorder::playrtp {

// The format of payload type `pt`, or nullopt for a type we cannot play.
std::optional<AudioFormat> payload_format(std::uint8_t pt, const AudioFormat& dynamic);

// "BITS/RATE/CHANNELS" (16 or 24 bits, 1..768000 Hz, 1..8 channels) as a
// big-endian format.  Throws SyntaxError naming what is wrong.
AudioFormat parse_payload_format(std::string_view text);

// Big-endian signed samples of `bits` (16 or 24) to int32 with the sample's
// most significant bit at bit 31 (the Converter's intermediate form).
void decode_network_samples(const char* in, std::int32_t* out, std::size_t samples, unsigned bits);

} // namespace disorder::playrtp
