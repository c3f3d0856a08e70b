// The rtp backend's time service: a thread of its own (never the audio
// thread) that watches the sockets the backend sends RTCP from, answers
// listeners' clock requests on them (time_exchange.hpp) and gathers their
// RTCP receiver reports into a ListenerReportTable, whose due reports it
// pushes to a ListenerReportQueue for the speaker's loop thread.
//
// Timestamps: t2 is CLOCK_MONOTONIC read right after recvmsg() returns the
// request, t3 right before sendto() sends the answer, to the request's
// source.  Only datagrams of exactly kTimePacketSize bytes that decode as a
// request are answered, with a datagram of the same size, and at most
// kAnswersPerSecond a second in all (bursts of kAnswerBurst): the service
// can never amplify, nor be used to send much.  Anything else (oversized,
// short, garbage, a flood) is read and dropped at the cost of one
// recvmsg() and a parse; a flood on one socket cannot starve another.
//
// A second stream's reports (the Opus stream's, with its own SSRC and 48
// kHz timestamps) are kept too; the worst fraction lost that its listeners
// reported in the last kLossWindowNs goes to an atomic, the encoder's FEC
// hint.
//
// Lifetime (RAII): the constructor starts the thread, the destructor stops
// it (through an eventfd) and joins it.  The sockets belong to the caller
// and must stay open until the service is destroyed; other threads may
// send on them meanwhile.
#pragma once

#include "fd.hpp"
#include "listener_report_queue.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace disorder {

class RtpTimeService {
public:
  static constexpr int kAnswersPerSecond = 1000;
  static constexpr int kAnswerBurst = 200;

  // The RTP timestamp units per second of the stream that the listener at
  // an address gets (the rate, times the channels if it counts samples).
  // Called on the service thread.
  using UnitsOf = std::function<std::uint32_t(const sockaddr*, socklen_t)>;

  static constexpr std::int64_t kLossWindowNs = 10'000'000'000;

  // The second stream: its SSRC, its timestamp units per second, and where
  // the worst loss (percent, rounded up) of its listeners goes.
  struct OpusReports {
    std::uint32_t ssrc = 0;
    std::uint32_t units_per_second = 48000;
    std::atomic<int>* worst_loss = nullptr; // nullptr: no second stream
  };

  // sockets: at most kMaxSockets; ssrc: the stream's, whose report blocks
  // are the ones kept (and those about opus.ssrc).  Throws SystemError if
  // the thread or its eventfd cannot be made.
  RtpTimeService(std::span<const int> sockets, std::uint32_t ssrc, UnitsOf units_of,
                 ListenerReportQueue& reports, OpusReports opus);
  RtpTimeService(std::span<const int> sockets, std::uint32_t ssrc, UnitsOf units_of,
                 ListenerReportQueue& reports)
      : RtpTimeService(sockets, ssrc, std::move(units_of), reports, OpusReports{}) {}
  RtpTimeService(const RtpTimeService&) = delete;
  RtpTimeService& operator=(const RtpTimeService&) = delete;
  ~RtpTimeService();

  static constexpr std::size_t kMaxSockets = 4;

private:
  void run();

  std::vector<int> sockets_;
  const std::uint32_t ssrc_;
  UnitsOf units_of_;
  ListenerReportQueue& reports_;
  const OpusReports opus_;
  Fd stop_;
  std::thread thread_;
};

} // namespace disorder
