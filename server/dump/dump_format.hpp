// The dump file format of disorder-dump(8), as text: a header line with the
// format version, one record per line in the field syntax of
// disorder_protocol(5) (so that any byte string, line feeds included, fits
// in a field), and an end line that counts the records, so that a file cut
// short anywhere is refused.  The format is described for users in
// disorder-dump(8) FILE FORMAT; keep the two in step.
#pragma once

#include "dump/dump_data.hpp"
#include "error.hpp"

#include <string>
#include <string_view>

namespace disorder {

// A dump file that cannot be read; what() says where ("line N: ...") and
// what is wrong.
class DumpFormatError : public Error {
public:
  using Error::Error;
};

// The version this program writes, and the newest it reads.
inline constexpr int kDumpFormatVersion = 1;

// The whole file.  Records come in a fixed order (users, global
// preferences, track preferences, playlists, scheduled events), each kind
// in the order data holds it.
std::string format_dump(const DumpData& data);

// Whether text starts like a file format_dump() wrote (of any version).
bool is_own_dump(std::string_view text);

// Parses a whole file.  Throws DumpFormatError for a file from a newer
// version, one cut short (no end line, a last line without its line feed,
// a record count that does not match), a malformed or unknown record, or
// the same user, global preference, track preference, playlist or
// scheduled event twice.
DumpData parse_dump(std::string_view text);

} // namespace disorder
