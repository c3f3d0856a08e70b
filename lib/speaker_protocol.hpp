// The control channel between disorderd and disorder-speaker: a
// SOCK_SEQPACKET socket pair, one message per packet.  A message is one
// line of fields in the protocol's quoting (split.hpp), so it is explicit
// and readable in a trace; a `prepare` message carries the read end of the
// track's decoder pipe as SCM_RIGHTS ancillary data.
//
// disorderd -> speaker
//   hello VERSION          first message; the speaker refuses other versions
//   prepare ID             + fd: the raw stream (raw_stream.hpp) of entry ID
//   play ID                append ID to the play order; tracks in the order
//                          play back to back, gaplessly
//   cancel ID              forget ID; if it is playing, stop it now
//   pause | resume
//   volume LEFT RIGHT      0..100 each
//   rtp-add KEY ADDRESS PORT [OPTION...]
//                          rtp_mode request: also send the stream to
//                          ADDRESS PORT (numeric), as listener KEY (an
//                          opaque token, one per requesting connection);
//                          an existing KEY moves to the new destination.
//                          Options: frames (else timestamps count
//                          samples), rtcp (sender reports to PORT+1).
//                          At most kMaxRtpListeners at once.  Sent again
//                          for every listener after each hello.
//   rtp-remove KEY         stop sending to KEY (unknown keys are ignored)
//   quit
// speaker -> disorderd
//   hello VERSION
//   started ID             ID's first frame went to the output
//   progress ID SECONDS    about once a second while ID plays
//   finished ID            ID's last frame went to the output
//   failed ID REASON       ID's stream was bad (REASON for the log)
//   paused | resumed
//   volume LEFT RIGHT      the current volume (after a change or on hello)
//   error TEXT             the output failed or cannot be opened (no sound
//                          card); it is retried, and tracks wait.  Sent
//                          again only if TEXT changes.
//   recovered              audio reaches the output again after an error
//   listener ADDRESS CNAME KEY VALUE [KEY VALUE...]
//                          api rtp: the latest report of an RTP listener
//                          (an RTCP receiver report, and its SyncReport if
//                          it sent one) from ADDRESS ("1.2.3.4:5006",
//                          "[::1]:5006"; the report's source) with CNAME
//                          (printable ASCII).  Keys: synchronised (yes or
//                          no), loss (%), jitter (ms), and from a
//                          SyncReport error (ms, late positive),
//                          uncertainty (ms), drift (ppm), buffer (ms),
//                          latency (ms), concealed (frames), output-delay
//                          (ms); a receiver may ignore keys it does not
//                          know.  At most about one a second per listener.
#pragma once

#include "fd.hpp"

#include <optional>
#include <string>
#include <vector>

namespace disorder {

inline constexpr int kSpeakerProtocolVersion = 1;
// Largest control message (track IDs are short).
inline constexpr std::size_t kSpeakerMessageMax = 4096;
// Most unicast RTP listeners in rtp_mode request (the speaker keeps a slot
// for each; disorderd refuses requests beyond this).
inline constexpr std::size_t kMaxRtpListeners = 64;

struct SpeakerMessage {
  std::vector<std::string> fields;
  Fd fd; // only for prepare
};

// Send one message (with fd if given).  Throws SystemError.
void send_speaker_message(int sock, const std::vector<std::string>& fields, int fd = -1);
// Receive one message; nullopt at EOF, std::nullopt also never for EAGAIN:
// throws SystemError with EAGAIN on a non-blocking socket with nothing to
// read.  Throws SyntaxError for a malformed message (any fd it carried is
// closed).
std::optional<SpeakerMessage> receive_speaker_message(int sock);

} // namespace disorder
