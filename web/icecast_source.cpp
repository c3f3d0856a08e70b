// The Icecast source's thread (icecast_source.hpp).
#include "web/icecast_source.hpp"

#include "log.hpp"

#include <shout/shout.h>

#include <algorithm>

namespace disorder::web {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kFirstRetry = std::chrono::milliseconds(1000);
constexpr auto kLongestRetry = std::chrono::milliseconds(30000);
constexpr auto kConnectTimeout = std::chrono::seconds(10);
// More than this waiting to be sent (in our queue or libshout's) and
// Icecast is not keeping up: the connection is dropped and made again.
constexpr size_t kMaxQueued = 1024 * 1024;

// One libshout connection.
class Shout {
public:
  explicit Shout(const IcecastTarget& t) : s_(shout_new()) {
    if (!s_) return;
    const bool ogg = t.format == "opus";
    if (shout_set_host(s_, t.host.c_str()) != SHOUTERR_SUCCESS ||
        shout_set_port(s_, static_cast<unsigned short>(std::stoi(t.port))) != SHOUTERR_SUCCESS ||
        shout_set_mount(s_, t.mount.c_str()) != SHOUTERR_SUCCESS ||
        shout_set_user(s_, t.user.c_str()) != SHOUTERR_SUCCESS ||
        shout_set_password(s_, t.password.c_str()) != SHOUTERR_SUCCESS ||
        shout_set_protocol(s_, SHOUT_PROTOCOL_HTTP) != SHOUTERR_SUCCESS ||
        shout_set_tls(s_, SHOUT_TLS_DISABLED) != SHOUTERR_SUCCESS ||
        shout_set_content_format(s_, ogg ? SHOUT_FORMAT_OGG : SHOUT_FORMAT_MP3, SHOUT_USAGE_AUDIO,
                                 nullptr) != SHOUTERR_SUCCESS ||
        shout_set_meta(s_, SHOUT_META_NAME, "disorder") != SHOUTERR_SUCCESS ||
        shout_set_audio_info(s_, SHOUT_AI_BITRATE, ogg ? "96" : "128") != SHOUTERR_SUCCESS ||
        shout_set_audio_info(s_, SHOUT_AI_SAMPLERATE, ogg ? "48000" : "44100") !=
            SHOUTERR_SUCCESS ||
        shout_set_audio_info(s_, SHOUT_AI_CHANNELS, "2") != SHOUTERR_SUCCESS ||
        // Non-blocking, so that the thread can be stopped while it waits
        // for a slow Icecast.
        shout_set_nonblocking(s_, SHOUT_BLOCKING_NONE) != SHOUTERR_SUCCESS)
      error_ = shout_get_error(s_);
  }
  ~Shout() {
    if (!s_) return;
    if (open_) shout_close(s_);
    shout_free(s_);
  }
  Shout(const Shout&) = delete;
  Shout& operator=(const Shout&) = delete;

  // Connects, giving up on timeout or when stop() says so; on failure
  // error() says why.
  template <typename Stop> bool open(Stop stop) {
    if (!s_) {
      error_ = "cannot create a libshout connection";
      return false;
    }
    if (!error_.empty()) return false;
    int rc = shout_open(s_);
    const auto deadline = Clock::now() + kConnectTimeout;
    while (rc == SHOUTERR_BUSY) {
      if (stop() || Clock::now() > deadline) {
        error_ = "no answer";
        shout_close(s_);
        return false;
      }
      rc = shout_get_connected(s_);
    }
    if (rc != SHOUTERR_SUCCESS && rc != SHOUTERR_CONNECTED) {
      error_ = shout_get_error(s_);
      return false;
    }
    open_ = true;
    return true;
  }
  bool send(const std::string& bytes) {
    const int rc =
        shout_send(s_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    if (rc == SHOUTERR_SUCCESS || rc == SHOUTERR_BUSY) return true;
    error_ = shout_get_error(s_);
    return false;
  }
  size_t queued() { return static_cast<size_t>(std::max<ssize_t>(0, shout_queuelen(s_))); }
  bool set_title(const std::string& title) {
    shout_metadata_t* md = shout_metadata_new();
    if (!md) return false;
    bool ok = shout_metadata_add(md, "song", title.c_str()) == SHOUTERR_SUCCESS &&
              shout_set_metadata_utf8(s_, md) == SHOUTERR_SUCCESS;
    if (!ok) error_ = shout_get_error(s_);
    shout_metadata_free(md);
    return ok;
  }
  const std::string& error() const { return error_; }

private:
  shout_t* s_;
  bool open_ = false;
  std::string error_;
};

} // namespace

IcecastSource::IcecastSource(IcecastTarget target) : target_(std::move(target)) {
  shout_init();
  thread_ = std::thread([this] { run(); });
}

IcecastSource::~IcecastSource() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  shout_shutdown();
}

void IcecastSource::send(const std::vector<StreamUnit>& units,
                         const std::vector<StreamUnit>& headers) {
  {
    std::lock_guard lock(mutex_);
    if (std::any_of(units.begin(), units.end(), [](const auto& u) { return u.header; }) ||
        headers_.empty())
      headers_ = headers;
    if (!connected_) return;
    for (const auto& u : units) {
      queue_.push_back(u);
      queued_bytes_ += u.bytes->size();
    }
  }
  if (!units.empty()) wake_.notify_one();
}

void IcecastSource::set_title(const TrackTitle& title) {
  {
    std::lock_guard lock(mutex_);
    title_ = title.line();
    title_changed_ = true;
  }
  wake_.notify_one();
}

void IcecastSource::run() {
  const std::string where =
      "Icecast at " + target_.host + " port " + target_.port + " mount " + target_.mount;
  auto backoff = kFirstRetry;
  bool failing = false;
  auto stopping = [this] {
    std::lock_guard lock(mutex_);
    return stop_;
  };
  while (!stopping()) {
    auto shout = std::make_unique<Shout>(target_);
    // libshout's non-blocking connect is polled; a short sleep between
    // polls keeps it cheap.
    const bool ok = shout->open([&] {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(10), [this] { return stop_; });
      return stop_;
    });
    if (!ok) {
      if (!failing) log_warning(where + ": cannot connect: " + shout->error() + " (retrying)");
      failing = true;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, backoff, [this] { return stop_; });
      backoff = std::min(backoff * 2, kLongestRetry);
      continue;
    }
    log_info((failing ? "connected again to " : "connected to ") + where);
    failing = false;
    backoff = kFirstRetry;
    std::vector<StreamUnit> batch;
    std::string title;
    bool send_title = false;
    {
      std::lock_guard lock(mutex_);
      connected_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      batch = headers_;
      title = title_;
      send_title = target_.format == "mp3" && !title_.empty();
      title_changed_ = false;
    }
    std::string error;
    while (error.empty()) {
      for (const auto& u : batch)
        if (!shout->send(*u.bytes)) {
          error = shout->error();
          break;
        }
      batch.clear();
      if (error.empty() && send_title && !shout->set_title(title))
        log_warning(where + ": cannot set the title: " + shout->error());
      send_title = false;
      if (error.empty() && shout->queued() > kMaxQueued) error = "it does not keep up";
      if (!error.empty()) break;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(200),
                     [this] { return stop_ || !queue_.empty() || title_changed_; });
      if (stop_) return;
      if (queued_bytes_ > kMaxQueued) {
        error = "it does not keep up";
        break;
      }
      batch.assign(queue_.begin(), queue_.end());
      queue_.clear();
      queued_bytes_ = 0;
      if (title_changed_ && target_.format == "mp3") {
        title = title_;
        send_title = true;
      }
      title_changed_ = false;
    }
    {
      std::lock_guard lock(mutex_);
      connected_ = false;
      queue_.clear();
      queued_bytes_ = 0;
    }
    log_warning(where + ": connection lost: " + error + " (reconnecting)");
    failing = true;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff, [this] { return stop_; });
    backoff = std::min(backoff * 2, kLongestRetry);
  }
}

} // namespace disorder::web
