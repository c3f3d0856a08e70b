// The `alsa` backend: interleaved writes to the PCM named by `device`
// (default "default"), the volume on the simple mixer control `channel`
// (default "PCM") with index `mixer` (default 0).  Under-runs are
// recovered with snd_pcm_recover; any other error closes the device and
// the audio thread opens it again and plays the same frames.  What ALSA
// itself says goes through our log, each distinct message once.
#include "backend.hpp"
#include "log.hpp"
#include "output_retry.hpp"
#include "pacer.hpp"

#include <algorithm>
#include <alsa/asoundlib.h>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

namespace disorder {

namespace {

// Requested buffer and period by default: short enough that a pause or cancel is
// heard soon, long enough to ride out scheduling delays.
constexpr unsigned kBufferUs = 80000;
constexpr unsigned kPeriodUs = 20000;

snd_pcm_format_t alsa_format(const AudioFormat& f) {
  const bool big = f.byte_order == std::endian::big;
  switch (f.bits) {
  case 8:
    return SND_PCM_FORMAT_S8;
  case 16:
    return big ? SND_PCM_FORMAT_S16_BE : SND_PCM_FORMAT_S16_LE;
  case 24:
    return big ? SND_PCM_FORMAT_S24_3BE : SND_PCM_FORMAT_S24_3LE;
  default:
    return big ? SND_PCM_FORMAT_S32_BE : SND_PCM_FORMAT_S32_LE;
  }
}

std::string alsa_error(const std::string& what, int err) {
  return what + ": " + snd_strerror(err);
}

// ALSA reports its own errors through one process-wide hook, a C function
// that carries no user data; left alone it prints each to stderr, several
// lines per failed open and so per retry.  The state the hook needs is
// therefore process-wide too, and kept here: a filter that passes each
// distinct message to the log once (until a device opens again), and the
// messages an open() in progress on this thread collects for its own error.
struct AlsaMessages {
  std::mutex mutex;
  RepeatFilter logged;
};

AlsaMessages& alsa_messages() {
  static AlsaMessages m;
  return m;
}

thread_local std::vector<std::string>* alsa_capture = nullptr;

// Bounded: a library that says a lot adds nothing past this.
constexpr std::size_t kCapturedMessages = 16;

__attribute__((format(printf, 5, 6))) void alsa_message(const char* /*file*/, int /*line*/,
                                                        const char* function, int err,
                                                        const char* fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  std::string message = text;
  if (err != 0) message += std::string(": ") + snd_strerror(err);
  if (alsa_capture) {
    if (alsa_capture->size() < kCapturedMessages) alsa_capture->push_back(message);
    log_debug("ALSA: " + message + (function ? std::string(" (in ") + function + ")" : ""));
    return;
  }
  AlsaMessages& m = alsa_messages();
  std::lock_guard lock(m.mutex);
  if (m.logged.first_time(message)) log_warning("ALSA: " + message);
}

// While it lives, what ALSA says on this thread goes to `into`.
class AlsaCapture {
public:
  explicit AlsaCapture(std::vector<std::string>& into) : previous_(alsa_capture) {
    alsa_capture = &into;
  }
  ~AlsaCapture() { alsa_capture = previous_; }
  AlsaCapture(const AlsaCapture&) = delete;
  AlsaCapture& operator=(const AlsaCapture&) = delete;

private:
  std::vector<std::string>* previous_;
};

// The first and the last thing ALSA said: with no sound card, "cannot
// find card '0'" says why and "Unknown PCM default" what it meant.
std::string summary(const std::vector<std::string>& said) {
  if (said.empty()) return "";
  std::string s = " (ALSA: " + said.front();
  if (said.size() > 1 && said.back() != said.front()) s += "; " + said.back();
  return s + ")";
}

// The mixer card for a PCM name: "hw:1,0" and "plughw:1,0" have theirs on
// "hw:1"; any other name ("default", a plugin) is tried as it is.
std::string mixer_card(const std::string& device) {
  for (const char* prefix : {"hw:", "plughw:"}) {
    const std::string p = prefix;
    if (device.compare(0, p.size(), p) == 0) {
      std::string card = device.substr(p.size());
      return "hw:" + card.substr(0, card.find(','));
    }
  }
  return device;
}

// The simple mixer element used for the volume.  Loop thread only.
class AlsaMixer {
public:
  AlsaMixer(const std::string& card, const std::string& control, int index) {
    int err;
    if ((err = snd_mixer_open(&mixer_, 0)) < 0) {
      mixer_ = nullptr;
      why_ = alsa_error("snd_mixer_open", err);
      return;
    }
    if ((err = snd_mixer_attach(mixer_, card.c_str())) < 0 ||
        (err = snd_mixer_selem_register(mixer_, nullptr, nullptr)) < 0 ||
        (err = snd_mixer_load(mixer_)) < 0) {
      why_ = alsa_error("opening mixer " + card, err);
      return;
    }
    snd_mixer_selem_id_t* id;
    snd_mixer_selem_id_alloca(&id);
    snd_mixer_selem_id_set_name(id, control.c_str());
    snd_mixer_selem_id_set_index(id, static_cast<unsigned>(index));
    element_ = snd_mixer_find_selem(mixer_, id);
    if (!element_ || !snd_mixer_selem_has_playback_volume(element_)) {
      element_ = nullptr;
      why_ = "mixer " + card + " has no playback control " + control + "," + std::to_string(index);
      return;
    }
    snd_mixer_selem_get_playback_volume_range(element_, &min_, &max_);
    if (max_ <= min_) element_ = nullptr;
  }
  ~AlsaMixer() {
    if (mixer_) snd_mixer_close(mixer_);
  }
  AlsaMixer(const AlsaMixer&) = delete;
  AlsaMixer& operator=(const AlsaMixer&) = delete;

  bool usable() const { return element_ != nullptr; }
  const std::string& why_not() const { return why_; }

  bool set(int left, int right) {
    if (!element_) return false;
    if (snd_mixer_selem_is_playback_mono(element_)) {
      snd_mixer_selem_set_playback_volume_all(element_, to_raw((left + right) / 2));
    } else {
      snd_mixer_selem_set_playback_volume(element_, SND_MIXER_SCHN_FRONT_LEFT, to_raw(left));
      snd_mixer_selem_set_playback_volume(element_, SND_MIXER_SCHN_FRONT_RIGHT, to_raw(right));
    }
    return true;
  }

  std::optional<std::pair<int, int>> get() {
    if (!element_) return std::nullopt;
    snd_mixer_handle_events(mixer_);
    long l = min_, r = min_;
    if (snd_mixer_selem_is_playback_mono(element_)) {
      snd_mixer_selem_get_playback_volume(element_, SND_MIXER_SCHN_MONO, &l);
      r = l;
    } else {
      snd_mixer_selem_get_playback_volume(element_, SND_MIXER_SCHN_FRONT_LEFT, &l);
      snd_mixer_selem_get_playback_volume(element_, SND_MIXER_SCHN_FRONT_RIGHT, &r);
    }
    return std::make_pair(to_percent(l), to_percent(r));
  }

private:
  long to_raw(int percent) const {
    return min_ +
           static_cast<long>(std::lround((max_ - min_) * std::clamp(percent, 0, 100) / 100.0));
  }
  int to_percent(long raw) const {
    return static_cast<int>(std::lround(100.0 * (raw - min_) / (max_ - min_)));
  }

  snd_mixer_t* mixer_ = nullptr;
  snd_mixer_elem_t* element_ = nullptr;
  long min_ = 0, max_ = 0;
  std::string why_;
};

class AlsaBackend final : public Backend {
public:
  AlsaBackend(const Config& config, std::chrono::microseconds buffer)
      : buffer_us_(buffer.count() > 0 ? static_cast<unsigned>(buffer.count()) : kBufferUs),
        period_us_(buffer.count() > 0 ? buffer_us_ / 2 : kPeriodUs),
        device_(config.device.empty() ? "default" : config.device),
        control_(config.effective_channel()), mixer_index_(parse_index(config.effective_mixer())) {
    snd_lib_error_set_handler(alsa_message);
  }
  ~AlsaBackend() override { close(); }

  void open(const AudioFormat& format) override {
    format_ = format;
    std::vector<std::string> said;
    {
      AlsaCapture capture(said);
      snd_pcm_t* pcm = nullptr;
      int err = snd_pcm_open(&pcm, device_.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
      if (err < 0)
        throw BackendError("cannot open ALSA device '" + device_ + "': " + snd_strerror(err) +
                           summary(said));
      pcm_ = pcm;
      try {
        configure();
      } catch (const BackendError& e) {
        close();
        throw BackendError(e.what() + summary(said));
      } catch (...) {
        close();
        throw;
      }
    }
    {
      // Working again: what ALSA says from now on is news.
      AlsaMessages& m = alsa_messages();
      std::lock_guard lock(m.mutex);
      m.logged.reset();
    }
    make_zeros(format, period_);
    pacer_.start(format.rate, std::chrono::microseconds(buffer_us_) * 2);
    log_debug("ALSA device " + device_ + " open: " + format.to_string() + ", period " +
              std::to_string(period_) + " frames, buffer " + std::to_string(buffer_) +
              (can_pause_ ? ", can pause" : ""));
  }

  bool is_open() const override { return pcm_ != nullptr; }
  std::size_t chunk_frames() const override { return period_; }
  // A device with a clock: until it has room.  Paused, stopped or failing:
  // at once (play() recovers or reports).
  void wait_ready(std::size_t frames) override {
    if (snd_pcm_state(pcm_) != SND_PCM_STATE_RUNNING) return;
    const snd_pcm_sframes_t avail = snd_pcm_avail_update(pcm_);
    if (avail >= 0 && static_cast<std::size_t>(avail) < frames) snd_pcm_wait(pcm_, 1000);
  }

  void play(std::span<const char> frames) override {
    const std::size_t bpf = format_.bytes_per_frame();
    const char* p = frames.data();
    std::size_t left = frames.size() / bpf;
    const std::size_t total = left;
    while (left > 0) {
      snd_pcm_sframes_t n = snd_pcm_writei(pcm_, p, left);
      if (n < 0) {
        // -EPIPE (under-run), -ESTRPIPE (suspended), -EINTR.
        const int err = snd_pcm_recover(pcm_, static_cast<int>(n), 1);
        if (err < 0) throw BackendError(alsa_error("writing to ALSA device " + device_, err));
        continue;
      }
      p += static_cast<std::size_t>(n) * bpf;
      left -= static_cast<std::size_t>(n);
    }
    pace(total);
  }

  PauseStyle pause_style() const override {
    return can_pause_ ? PauseStyle::suspend : PauseStyle::silence;
  }
  void pause() override {
    if (snd_pcm_state(pcm_) == SND_PCM_STATE_RUNNING) paused_ = snd_pcm_pause(pcm_, 1) == 0;
  }
  void resume() override {
    if (paused_) snd_pcm_pause(pcm_, 0);
    paused_ = false;
    pacer_.restart();
  }
  // Play out what the device holds, so that the end of the last track is
  // heard and no under-run is reported while nothing plays.
  void idle() override {
    if (!pcm_) return;
    snd_pcm_drain(pcm_);
    snd_pcm_prepare(pcm_);
    pacer_.restart();
  }
  std::chrono::nanoseconds delay() const override {
    snd_pcm_sframes_t d = 0;
    if (!pcm_ || snd_pcm_delay(pcm_, &d) < 0 || d < 0) return std::chrono::nanoseconds(0);
    return std::chrono::nanoseconds(d * 1000000000ll / format_.rate);
  }

  void close() override {
    if (!pcm_) return;
    if (snd_pcm_state(pcm_) == SND_PCM_STATE_RUNNING) snd_pcm_drain(pcm_);
    snd_pcm_close(pcm_);
    pcm_ = nullptr;
    paused_ = false;
  }

  bool set_volume(int left, int right) override { return mixer() && mixer()->set(left, right); }
  std::optional<std::pair<int, int>> volume() override {
    return mixer() ? mixer()->get() : std::nullopt;
  }

private:
  static int parse_index(const std::string& s) {
    try {
      return s.empty() ? 0 : std::stoi(s);
    } catch (const std::exception&) {
      throw ConfigError("mixer " + s + " is not a mixer control index (api alsa)");
    }
  }

  void configure() {
    snd_pcm_hw_params_t* hw;
    snd_pcm_hw_params_alloca(&hw);
    int err;
    auto check = [&](const char* what) {
      if (err < 0) throw BackendError(alsa_error(device_ + ": " + what, err));
    };
    err = snd_pcm_hw_params_any(pcm_, hw);
    check("no configurations");
    err = snd_pcm_hw_params_set_access(pcm_, hw, SND_PCM_ACCESS_RW_INTERLEAVED);
    check("interleaved access");
    err = snd_pcm_hw_params_set_format(pcm_, hw, alsa_format(format_));
    check(("sample format " + format_.to_string() + " (set sample_format, or use a plug device)")
              .c_str());
    err = snd_pcm_hw_params_set_channels(pcm_, hw, format_.channels);
    check("channel count");
    err = snd_pcm_hw_params_set_rate(pcm_, hw, format_.rate, 0);
    check("sample rate");
    unsigned buffer_us = buffer_us_, period_us = period_us_;
    int dir = 0;
    snd_pcm_hw_params_set_buffer_time_near(pcm_, hw, &buffer_us, &dir);
    dir = 0;
    snd_pcm_hw_params_set_period_time_near(pcm_, hw, &period_us, &dir);
    err = snd_pcm_hw_params(pcm_, hw);
    check("hardware parameters");
    snd_pcm_uframes_t period = 0, buffer = 0;
    snd_pcm_hw_params_get_period_size(hw, &period, &dir);
    snd_pcm_hw_params_get_buffer_size(hw, &buffer);
    period_ = period ? period : format_.rate / 50;
    buffer_ = buffer;
    can_pause_ = snd_pcm_hw_params_can_pause(hw);
    err = snd_pcm_prepare(pcm_);
    check("prepare");
  }

  // A real device blocks in snd_pcm_writei and so paces us; a plugin with
  // no clock (a file or null PCM) never blocks and holds nothing back.
  // Pace against CLOCK_MONOTONIC only in that case, keeping the pacer in
  // step with what the device reports otherwise.
  void pace(std::size_t frames) {
    snd_pcm_sframes_t d = 0;
    if (snd_pcm_delay(pcm_, &d) == 0 && d >= static_cast<snd_pcm_sframes_t>(period_)) {
      pacer_.set_ahead(std::chrono::nanoseconds(d * 1000000000ll / format_.rate));
      pacer_.written(0);
      return;
    }
    pacer_.wait(0);
    pacer_.written(frames);
  }

  AlsaMixer* mixer() {
    if (!mixer_) {
      std::vector<std::string> said;
      {
        AlsaCapture capture(said);
        mixer_ = std::make_unique<AlsaMixer>(mixer_card(device_), control_, mixer_index_);
      }
      if (!mixer_->usable())
        log_info("no ALSA mixer (" + mixer_->why_not() + summary(said) +
                 "): volume is set in software");
    }
    return mixer_->usable() ? mixer_.get() : nullptr;
  }

  unsigned buffer_us_, period_us_;
  std::string device_;
  std::string control_;
  int mixer_index_;
  AudioFormat format_;
  snd_pcm_t* pcm_ = nullptr;
  std::size_t period_ = 882;
  std::size_t buffer_ = 0;
  bool can_pause_ = false;
  bool paused_ = false;
  Pacer pacer_;
  std::unique_ptr<AlsaMixer> mixer_; // loop thread
};

} // namespace

std::unique_ptr<Backend> make_alsa_backend(const Config& config, const BackendOptions& options) {
  return std::make_unique<AlsaBackend>(config, options.buffer);
}

} // namespace disorder
