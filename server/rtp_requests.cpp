// The registry of requested RTP streams and its messages to the speaker.
#include "rtp_requests.hpp"

#include "error.hpp"
#include "log.hpp"
#include "queue/playback.hpp"
#include "speaker_link.hpp"
#include "speaker_protocol.hpp"
#include "users/user_store.hpp" // UserError

namespace disorder {

namespace {

std::string standing_key(const std::string& key) {
  return "rtp " + key;
}

} // namespace

void RtpRequests::request(const Connection* conn, const RtpDestination& destination,
                          const RtpListenerOptions& options) {
  auto it = keys_.find(conn);
  if (it == keys_.end()) {
    if (keys_.size() >= kMaxRtpListeners)
      throw UserError("too many RTP streams (at most " + std::to_string(kMaxRtpListeners) + ")");
    it = keys_.emplace(conn, std::to_string(next_key_++)).first;
  }
  // A second request from the same connection keeps its key: the speaker
  // moves the stream rather than adding one.
  const std::string& key = it->second;
  std::vector<std::string> add{"rtp-add", key, destination.host, destination.port};
  std::string described;
  for (std::string& word : options.words()) {
    described += described.empty() ? "" : " ";
    described += word;
    add.push_back(std::move(word));
  }
  log_info("RTP stream " + key + " to " + destination.host + " " + destination.port + " (" +
           described + ")");
  if (SpeakerLink* link = playback_.speaker_link()) link->set_standing(standing_key(key), add);
}

bool RtpRequests::cancel(const Connection* conn) {
  auto it = keys_.find(conn);
  if (it == keys_.end()) return false;
  const std::string key = it->second;
  keys_.erase(it);
  log_info("RTP stream " + key + " ends");
  if (SpeakerLink* link = playback_.speaker_link())
    link->withdraw_standing(standing_key(key), {"rtp-remove", key});
  return true;
}

} // namespace disorder
