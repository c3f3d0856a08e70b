// disorder-playrtp's status (disorder-playrtp(1), "REMOTE CONTROL"): the
// one line of key=value pairs that the control socket's `status` command
// answers -- synchronised, offset_ms, uncertainty_ms, error_ms,
// drift_ppm, buffer_ms, latency_ms, output_delay_ms, packets, lost,
// concealed, jitter_ms, latency_unmet, fec_recovered, duplicate_saved and
// plc_concealed -- and its readable form, which
// `disorder-playrtp --status` prints.  Readers must ignore keys they do
// not know; a figure that is not known (no clock estimate yet) is "-".
#pragma once

#include "player.hpp"
#include "sync_client.hpp"

#include <string>
#include <string_view>

namespace disorder::playrtp {

// sync: nullptr when the listener has no RTCP socket.
std::string status_line(const Player::Snapshot& s, const SyncClient::Status* sync);

// One "Label: value" line per field, in the order of the line; fields it
// does not know are shown as they are.
std::string describe_status(std::string_view line);

} // namespace disorder::playrtp
