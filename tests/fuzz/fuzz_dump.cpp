// libFuzzer target for disorder-dump's two file parsers (its own format and
// DisOrder's): any bytes.  A DumpFormatError is a correct answer; a crash
// or hang is a bug, and so is a file of our format that parses but does
// not come back the same after format_dump() and parse_dump().
#include "dump/dump_format.hpp"
#include "dump/peer_format.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    if (disorder::is_own_dump(text)) {
      disorder::DumpData parsed = disorder::parse_dump(text);
      if (disorder::parse_dump(disorder::format_dump(parsed)) != parsed) __builtin_trap();
    } else {
      std::vector<std::string> notes;
      disorder::parse_peer_dump(text, notes);
    }
  } catch (const disorder::DumpFormatError&) {
  }
  return 0;
}
