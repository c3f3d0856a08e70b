// Duplicate packets of the followed RTP stream, by sequence number: a
// sender may send every packet more than once (by a second path, or again
// a little later, up to three copies), and a network may duplicate; the
// listener keeps the first copy and drops the others.  It also counts the
// packets that a duplicate saved: a packet that arrived fewer times than
// the packets around it (while at least half of those within kNear
// sequence numbers arrived more than once) lost a copy on the way, and
// another made up for it.  (Which copy was "the" packet and which the
// duplicate, a listener cannot tell; by two paths, neither is.)
//
// A window of the last kWindow sequence numbers is remembered; a packet
// older than that is not recognised as a copy (the jitter buffer finds
// it late anyway).  A packet is judged "saved" while it is within
// kSettle of the newest, so that a copy that comes late still counts, and
// settled after that.  Pure; single-threaded; fixed memory.
#pragma once

#include <array>
#include <cstdint>

namespace disorder::playrtp {

class DuplicateFilter {
public:
  static constexpr std::uint16_t kWindow = 256;
  static constexpr std::uint16_t kSettle = 128;
  static constexpr std::uint16_t kNear = 8;

  // A new stream: forget everything (the counts stay).
  void reset();
  // A packet with this sequence number arrived: true if it is a copy of
  // one already seen (drop it).
  bool arrived(std::uint16_t sequence);
  // Packets that arrived fewer times than their neighbours.
  std::uint64_t saved() const;
  // Copies dropped.
  std::uint64_t duplicates() const { return duplicates_; }

private:
  struct Entry {
    bool valid = false;
    std::uint16_t sequence = 0;
    std::uint8_t copies = 0;
  };
  Entry& slot(std::uint16_t sequence) { return entries_[sequence % kWindow]; }
  const Entry* find(std::uint16_t sequence) const;
  bool is_saved(std::uint16_t sequence) const;
  void settle(std::uint16_t sequence);

  std::array<Entry, kWindow> entries_{};
  bool started_ = false;
  std::uint16_t newest_ = 0;
  std::uint64_t settled_saved_ = 0;
  std::uint64_t duplicates_ = 0;
};

} // namespace disorder::playrtp
