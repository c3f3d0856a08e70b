// The dump file itself: read whole, or written privately and atomically.
#pragma once

#include <string>
#include <string_view>

namespace disorder {

// The contents of path, which must be a regular file.  Throws Error.
std::string read_regular_file(const std::string& path);

// Writes contents to path as a new file of mode 0600 (a dump holds every
// password), through a temporary name in the same directory and a rename,
// so that path holds either its old contents or all of the new ones, never
// a part.  An existing path that is not a regular file is refused.  Throws
// Error; the temporary file is removed on failure.
void write_file_privately(const std::string& path, std::string_view contents);

} // namespace disorder
