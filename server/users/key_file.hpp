// The server's secret keys, each a file of random bytes under home/private/
// (password-key, cookie-key).  Keeping them out of the database is what
// makes a copy of the database (a backup, a bug report) useless for reading
// passwords or forging cookies.
#pragma once

#include <cstddef>
#include <string>

namespace disorder {

// The key in path, which must hold exactly bytes bytes.  A missing file is
// created (mode 0600, written to a temporary name and renamed, so that a
// crash never leaves a short key behind) with fresh random bytes.  Throws
// Error if the file cannot be read or written or has the wrong size.
std::string load_or_create_key(const std::string& path, std::size_t bytes);

} // namespace disorder
