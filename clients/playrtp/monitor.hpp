// The --monitor report: one line of key=value fields describing the
// buffer, the playout timing and the packet counts, printed every second
// and once more at exit (bench/playrtp and the tests read it); and the
// summary of losses logged at exit.
#pragma once

#include "player.hpp"

#include <string>

namespace disorder::playrtp {

std::string monitor_line(const Player::Snapshot& s, std::size_t latency_frames);
// The stream's format as the monitor shows it: "16b/44100/2", or for Opus
// "opus/48000/2".
std::string stream_format(const Player::Snapshot& s);
// What was lost and how it was made good (FEC, duplicates, concealment),
// for the log at exit; empty when nothing was lost or duplicated.
std::string loss_summary(const Player::Snapshot& s);

} // namespace disorder::playrtp
