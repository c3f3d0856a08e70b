// The exception a decoder throws for a file it cannot decode.
#pragma once

#include "error.hpp"

namespace disorder {

// The file cannot be decoded: corrupt, truncated, or a format or variant we
// do not support.  what() says which, without the path (main adds it).
class DecodeError : public Error {
public:
  using Error::Error;
};

} // namespace disorder
