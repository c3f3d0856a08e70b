// pread with a two-block cache behind TagLib's IOStream.
#include "tag_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder {

TagStream::TagStream(const char* path, TagStreamCache& cache)
    : path_(path), cache_(cache), fd_(::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) {
  for (auto& b : cache_.blocks_)
    b.start = -1;
  if (!fd_) {
    error_ = errno;
    return;
  }
  struct stat st;
  if (::fstat(fd_.get(), &st) < 0) {
    error_ = errno;
    fd_.reset();
    return;
  }
  size_ = static_cast<long>(st.st_size);
  ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_RANDOM);
}

long TagStream::read_at(long offset, char* out, long length) {
  long done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_.get(), out + done, static_cast<size_t>(length - done), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; // an error reads as the end of the file: TagLib copes
    done += n;
  }
  return done;
}

TagLib::ByteVector TagStream::readBlock(unsigned long length) {
  if (!fd_ || position_ >= size_ || length == 0) return {};
  // length is whatever a header in the file says, up to ULONG_MAX: compare
  // it unsigned, so that it cannot turn into a negative count.
  const long want =
      static_cast<long>(std::min(length, static_cast<unsigned long>(size_ - position_)));
  // Large reads (a whole tag with its cover art) go straight to the file.
  if (want > TagStreamCache::kBlockSize / 2) {
    TagLib::ByteVector out(static_cast<unsigned int>(want), '\0');
    long got = read_at(position_, out.data(), want);
    out.resize(static_cast<unsigned int>(got));
    position_ += got;
    return out;
  }
  for (auto& b : cache_.blocks_) {
    if (b.start >= 0 && position_ >= b.start && position_ + want <= b.start + b.size) {
      TagLib::ByteVector out(b.data.data() + (position_ - b.start),
                             static_cast<unsigned int>(want));
      position_ += want;
      return out;
    }
  }
  // Miss: read the block around position_, from the page boundary below it,
  // which holds all of this read (it is at most half a block).
  auto& b = cache_.blocks_[static_cast<size_t>(cache_.next_)];
  cache_.next_ ^= 1;
  b.data.resize(TagStreamCache::kBlockSize);
  b.start = position_ & ~4095L;
  b.size = read_at(b.start, b.data.data(), TagStreamCache::kBlockSize);
  long available = std::max(0L, std::min(want, b.start + b.size - position_));
  TagLib::ByteVector out(b.data.data() + (position_ - b.start),
                         static_cast<unsigned int>(available));
  position_ += available;
  return out;
}

void TagStream::seek(long offset, Position p) {
  switch (p) {
  case Beginning:
    position_ = offset;
    break;
  case Current:
    position_ += offset;
    break;
  case End:
    position_ = size_ + offset;
    break;
  }
  if (position_ < 0) position_ = 0;
}

} // namespace disorder
