// Construction of the typed exceptions declared in error.hpp.
#include "error.hpp"

#include <cerrno>
#include <cstring>

namespace disorder {

SystemError::SystemError(const std::string& context, int errnum)
    : Error(context + ": " + std::strerror(errnum)), errnum_(errnum) {}

void throw_errno(const std::string& context) {
  throw SystemError(context, errno);
}

} // namespace disorder
