// Sequence-number window for dropping and counting duplicates.
#include "duplicate_filter.hpp"

#include <algorithm>

namespace disorder::playrtp {

void DuplicateFilter::reset() {
  settled_saved_ = saved();
  entries_.fill(Entry{});
  started_ = false;
}

const DuplicateFilter::Entry* DuplicateFilter::find(std::uint16_t sequence) const {
  const Entry& e = entries_[sequence % kWindow];
  return e.valid && e.sequence == sequence ? &e : nullptr;
}

bool DuplicateFilter::is_saved(std::uint16_t sequence) const {
  const Entry* e = find(sequence);
  if (!e) return false;
  // Copies are flowing here when at least half the neighbours that came,
  // came more than once: a stray duplicate from the network does not make
  // its neighbours "saved".
  unsigned present = 0, copied = 0, most = 0;
  for (int d = -kNear; d <= kNear; ++d) {
    if (d == 0) continue;
    const Entry* n = find(static_cast<std::uint16_t>(sequence + d));
    if (!n) continue;
    ++present;
    if (n->copies >= 2) ++copied;
    most = std::max<unsigned>(most, n->copies);
  }
  return copied > 0 && 2 * copied >= present && e->copies < most;
}

void DuplicateFilter::settle(std::uint16_t sequence) {
  if (is_saved(sequence)) ++settled_saved_;
}

bool DuplicateFilter::arrived(std::uint16_t sequence) {
  if (!started_) {
    started_ = true;
    newest_ = sequence;
    slot(sequence) = Entry{true, sequence, 1};
    return false;
  }
  const auto ahead = static_cast<std::uint16_t>(sequence - newest_);
  if (ahead != 0 && ahead < 0x8000) {
    // Newer: settle what falls out of the judging window and make room.
    if (ahead >= kWindow - kSettle) {
      // A jump: judge everything still unsettled, and start afresh.
      for (std::uint16_t back = 0; back < kWindow - kSettle; ++back)
        settle(static_cast<std::uint16_t>(newest_ - back));
      entries_.fill(Entry{});
    } else {
      for (std::uint16_t s = 1; s <= ahead; ++s)
        settle(static_cast<std::uint16_t>(newest_ + s - (kWindow - kSettle)));
    }
    newest_ = sequence;
    slot(sequence) = Entry{true, sequence, 1};
    return false;
  }
  if (Entry* e = &slot(sequence); e->valid && e->sequence == sequence) {
    if (e->copies < 255) ++e->copies;
    ++duplicates_;
    return true;
  }
  // Older than the newest, first copy: remembered if still in the window.
  const auto behind = static_cast<std::uint16_t>(newest_ - sequence);
  if (behind < kWindow - kSettle) slot(sequence) = Entry{true, sequence, 1};
  return false;
}

std::uint64_t DuplicateFilter::saved() const {
  std::uint64_t n = settled_saved_;
  if (!started_) return n;
  for (std::uint16_t back = 0; back < kWindow - kSettle; ++back)
    if (is_saved(static_cast<std::uint16_t>(newest_ - back))) ++n;
  return n;
}

} // namespace disorder::playrtp
