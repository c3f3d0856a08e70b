// The unicast destinations of the rtp backend in rtp_mode request: a fixed
// table of slots that the loop thread fills and empties (rtp-add,
// rtp-remove) while the audio thread reads it for every packet, with no
// lock and no allocation on either side.
//
// Each slot is a sequence lock built from atomics only: the loop thread
// (the one writer) makes the slot's sequence number odd, rewrites the
// address, and makes it even again; the audio thread copies the address
// and keeps the copy only if the sequence number was the same even number
// before and after.  A slot being rewritten at that moment is simply
// skipped for one packet.
//
// Each listener also has options, the ones its rtp-request asked for
// (disorder_protocol(5)): the timestamp unit, and whether it wants RTCP
// sender reports on its port+1.  A listener that asked for nothing is
// taken to be DisOrder's disorder-playrtp: sample-counted timestamps, and
// nothing on port+1, where another of its kind may be listening.  One that
// asked for `opus` gets the Opus stream (48 kHz timestamps) instead of L16.
//
// Two threads read the table, each with its own Reader: the audio thread
// (L16) and the backend's sender thread (Opus and duplicates).
#pragma once

#include "speaker_protocol.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

namespace disorder {

class RtpListeners {
public:
  static constexpr std::size_t kSlots = kMaxRtpListeners;
  // Option bits.
  static constexpr std::uint32_t kFrames = 1; // timestamps count frames (else samples)
  static constexpr std::uint32_t kRtcp = 2;   // sender reports to port+1
  static constexpr std::uint32_t kOpus = 4;   // the Opus stream rather than L16

  enum Reader : std::size_t { kAudioReader = 0, kSenderReader = 1, kReaders = 2 };

  // --- loop thread
  // Sends to `address` as listener `key`, with the option bits `options`,
  // from the next packet on (a known key moves to the new address).  False
  // when every slot is taken.
  bool set(const std::string& key, const sockaddr* address, socklen_t length,
           std::uint32_t options) {
    if (length == 0 || length > kAddressBytes) return false;
    std::size_t free = kSlots;
    for (std::size_t i = 0; i < kSlots; ++i) {
      if (!keys_[i].empty() && keys_[i] == key) {
        write(i, address, length, options);
        return true;
      }
      if (keys_[i].empty() && free == kSlots) free = i;
    }
    if (free == kSlots) return false;
    keys_[free] = key;
    write(free, address, length, options);
    return true;
  }
  // Stops sending to `key`; false if there is no such listener.
  bool remove(const std::string& key) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      if (!keys_[i].empty() && keys_[i] == key) {
        keys_[i].clear();
        write(i, nullptr, 0, 0);
        return true;
      }
    }
    return false;
  }

  // --- a reader's thread
  // Calls fn(index, address, length, options, fresh) for each listener,
  // where fresh is true the first time this reader visits a slot's
  // current address.
  template <typename Fn> void for_each(Fn&& fn) { for_each(kAudioReader, fn); }
  template <typename Fn> void for_each(Reader reader, Fn&& fn) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      Slot& s = slots_[i];
      Seen& last = seen_[reader][i];
      if (s.length.load(std::memory_order_relaxed) == 0 && last.length == 0)
        continue; // cheap first look
      std::uint32_t sequence = 0;
      if (!read(s, last.address, last.length, last.options, sequence))
        sequence = last.sequence; // being rewritten: this packet goes where the last one went
      if (last.length == 0) continue;
      const bool fresh = last.sequence != sequence;
      last.sequence = sequence;
      fn(i, reinterpret_cast<const sockaddr*>(&last.address), static_cast<socklen_t>(last.length),
         last.options, fresh);
    }
  }

private:
  static constexpr std::size_t kWords = 8; // enough for a sockaddr_in6
  static constexpr std::size_t kAddressBytes = kWords * 4;
  static_assert(sizeof(sockaddr_in6) <= kAddressBytes && sizeof(sockaddr_in) <= kAddressBytes);

  struct Slot {
    std::atomic<std::uint32_t> sequence{0}; // odd while the loop thread rewrites the slot
    std::atomic<std::uint32_t> length{0};   // of the address; 0 for an empty slot
    std::atomic<std::uint32_t> options{0};  // kFrames | kRtcp | kOpus
    std::array<std::atomic<std::uint32_t>, kWords> words{};
  };

  void write(std::size_t i, const sockaddr* address, socklen_t length, std::uint32_t options) {
    Slot& s = slots_[i];
    std::uint32_t words[kWords] = {};
    if (length) std::memcpy(words, address, length);
    const std::uint32_t sequence = s.sequence.load(std::memory_order_relaxed);
    s.sequence.store(sequence + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t w = 0; w < kWords; ++w)
      s.words[w].store(words[w], std::memory_order_relaxed);
    s.length.store(static_cast<std::uint32_t>(length), std::memory_order_relaxed);
    s.options.store(options, std::memory_order_relaxed);
    s.sequence.store(sequence + 2, std::memory_order_release);
  }

  static bool read(Slot& s, sockaddr_storage& address, std::uint32_t& length,
                   std::uint32_t& options, std::uint32_t& sequence) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const std::uint32_t before = s.sequence.load(std::memory_order_acquire);
      if (before & 1) continue;
      std::uint32_t words[kWords];
      for (std::size_t w = 0; w < kWords; ++w)
        words[w] = s.words[w].load(std::memory_order_relaxed);
      const std::uint32_t new_length = s.length.load(std::memory_order_relaxed);
      const std::uint32_t new_options = s.options.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.sequence.load(std::memory_order_relaxed) != before) continue;
      // Only a consistent copy is handed out: the outputs are untouched
      // otherwise.
      std::memcpy(&address, words, kAddressBytes);
      length = new_length;
      options = new_options;
      sequence = before;
      return true;
    }
    return false; // being rewritten
  }

  std::array<Slot, kSlots> slots_;
  std::array<std::string, kSlots> keys_; // loop thread only; "" for a free slot
  // Each reader's own: each slot as last read, used again while the loop
  // thread is rewriting it (a stream being moved loses no packet).
  struct Seen {
    sockaddr_storage address{};
    std::uint32_t length = 0, options = 0, sequence = 0;
  };
  std::array<std::array<Seen, kSlots>, kReaders> seen_{};
};

} // namespace disorder
