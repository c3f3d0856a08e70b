// UTF-8 checks.  Protocol lines, track names and configuration values are
// UTF-8; anything else from outside is refused before it reaches the
// database.
#pragma once

#include <string_view>

namespace disorder {

// True when s is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool valid_utf8(std::string_view s);

} // namespace disorder
