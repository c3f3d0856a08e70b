// Reading a dump written by DisOrder 5.2's disorder-dump, so that a
// DisOrder installation's users, preferences, global preferences and
// playlists come across.  DisOrder documents no format; this one is as its
// program was seen to write it (disorder-dump(8) COMPATIBILITY):
//
//   V0                      the version, followed directly by the first record
//   TKEY\n VALUE\n          a record: a type letter, a key line, a value line
//   E\n                     the end
//
// Keys and values are percent-encoded (%XX).  Types: P a track's
// preferences, G a global preference, U a user, L a playlist, W a
// scheduled event.  The values of P, U, L and W are lists NAME=VALUE&...
// whose names and values are percent-encoded once more.
#pragma once

#include "dump/dump_data.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// Whether text starts like a DisOrder dump ('V' and a digit).
bool is_peer_dump(std::string_view text);

// Throws DumpFormatError (dump_format.hpp) for a file cut short, of a
// version other than 0, or damaged.  What the file holds that has no place
// here is left out, with a sentence for each in notes: DisOrder's own
// bookkeeping (global preferences whose names start with '_') and unknown
// user properties.
DumpData parse_peer_dump(std::string_view text, std::vector<std::string>& notes);

} // namespace disorder
