// Typed exceptions used throughout disorder.  Code throws these inside a
// component; a boundary (a command handler, a connection, main) catches them
// and turns them into a protocol reply or a log line.
#pragma once

#include <stdexcept>
#include <string>

namespace disorder {

// Base of every error we raise ourselves.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Malformed input: a protocol line, a config line, a value out of range.
class SyntaxError : public Error {
public:
  using Error::Error;
};

// A configuration file (or value) that cannot be accepted.  what() already
// carries FILE:LINE when the error came from a file.
class ConfigError : public Error {
public:
  using Error::Error;
};

// A failed system call; what() is "CONTEXT: strerror(errno)".
class SystemError : public Error {
public:
  SystemError(const std::string& context, int errnum);
  int code() const noexcept { return errnum_; }

private:
  int errnum_;
};

// A peer broke the protocol or went away.
class ProtocolError : public Error {
public:
  using Error::Error;
};

// Throw SystemError(context, errno).
[[noreturn]] void throw_errno(const std::string& context);

} // namespace disorder
