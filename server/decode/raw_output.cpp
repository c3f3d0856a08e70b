// RawOutput: a header and its PCM in one writev, so that a reader never
// waits on a header whose samples have not been sent yet.
#include "raw_output.hpp"

#include "decode_error.hpp"
#include "raw_stream.hpp"

#include <cerrno>
#include <sys/uio.h>

namespace disorder {

void RawOutput::write(const PcmBlock& block) {
  if (block.bytes.empty()) return;
  if (!block.format.valid())
    throw DecodeError("the raw stream cannot carry the format " + block.format.to_string());
  auto header = encode_raw_header({block.format, block.bytes.size()});
  iovec iov[2] = {{header.data(), header.size()},
                  {const_cast<char*>(block.bytes.data()), block.bytes.size()}};
  iovec* next = iov;
  int count = 2;
  while (count > 0) {
    ssize_t n = ::writev(fd_, next, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw OutputClosed("output closed by the reader");
      throw_errno("cannot write output");
    }
    auto done = static_cast<std::size_t>(n);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
}

} // namespace disorder
