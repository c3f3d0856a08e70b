// Writes decoded blocks to a file descriptor as raw stream segments
// (lib/raw_stream.hpp): a header and the block's bytes, in one writev.
#pragma once

#include "block_assembler.hpp"
#include "error.hpp"

namespace disorder {

// The reader closed its end (EPIPE): the track was scratched, or the
// speaker has gone.  Not a failure of the decoder.
class OutputClosed : public Error {
public:
  using Error::Error;
};

class RawOutput {
public:
  // Does not own fd, which must be blocking.  SIGPIPE must be ignored so
  // that a closed reader shows up as OutputClosed rather than a signal.
  explicit RawOutput(int fd) : fd_(fd) {}

  // Writes one segment.  Throws OutputClosed, SystemError for another
  // write error, or DecodeError for a format the raw stream cannot carry.
  void write(const PcmBlock& block);

private:
  int fd_;
};

} // namespace disorder
