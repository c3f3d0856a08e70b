// The --monitor report: one line of key=value fields describing the
// buffer, the playout timing and the packet counts, printed every second
// and once more at exit (bench/playrtp and the tests read it).
#pragma once

#include "player.hpp"

#include <string>

namespace disorder::playrtp {

std::string monitor_line(const Player::Snapshot& s, std::size_t latency_frames);

} // namespace disorder::playrtp
