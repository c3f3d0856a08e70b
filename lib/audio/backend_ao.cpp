// The `ao` backend: libao's default driver, or the driver `device` names.
// With --ao-file PATH it writes to a file through a file driver instead
// (`device` if that is one, else "raw"), paced in real time like a device.
#include "backend.hpp"
#include "log.hpp"
#include "pacer.hpp"

#include <ao/ao.h>
#include <cerrno>
#include <cstring>

namespace disorder {

namespace {

constexpr auto kFileLead = std::chrono::milliseconds(50);
constexpr std::uint32_t kChunksPerSecond = 50; // 20 ms per ao_play()

class AoBackend final : public Backend {
public:
  AoBackend(const Config& config, const BackendOptions& options)
      : driver_name_(config.device), file_(options.ao_file), pause_mode_(config.pause_mode) {
    ao_initialize();
  }
  ~AoBackend() override {
    close();
    ao_shutdown();
  }

  void open(const AudioFormat& format) override {
    format_ = format;
    chunk_ = std::max<std::size_t>(1, format.rate / kChunksPerSecond);
    int driver;
    if (!file_.empty())
      driver = driver_name_ == "default" ? ao_driver_id("raw") : ao_driver_id(driver_name_.c_str());
    else
      driver =
          driver_name_ == "default" ? ao_default_driver_id() : ao_driver_id(driver_name_.c_str());
    if (driver < 0)
      throw BackendError(driver_name_ == "default" ? std::string("libao has no default driver")
                                                   : "libao has no driver " + driver_name_);
    ao_sample_format f{};
    f.bits = format.bits;
    f.rate = static_cast<int>(format.rate);
    f.channels = format.channels;
    f.byte_format = format.byte_order == std::endian::big ? AO_FMT_BIG : AO_FMT_LITTLE;
    char stereo[] = "L,R", mono[] = "M";
    f.matrix = format.channels == 2 ? stereo : format.channels == 1 ? mono : nullptr;
    const ao_info* info = ao_driver_info(driver);
    is_file_ = info && info->type == AO_TYPE_FILE;
    if (!file_.empty() && !is_file_)
      throw BackendError("libao driver " + std::string(info ? info->short_name : "?") +
                         " cannot write to a file (--ao-file)");
    errno = 0;
    device_ = is_file_ ? ao_open_file(driver, file_.c_str(), 1, &f, nullptr)
                       : ao_open_live(driver, &f, nullptr);
    if (!device_)
      throw BackendError("opening libao driver " + std::string(info ? info->short_name : "?") +
                         " (" + open_error(errno) + ")");
    make_zeros(format, chunk_);
    pacer_.start(format.rate, kFileLead);
  }

  bool is_open() const override { return device_ != nullptr; }
  std::size_t chunk_frames() const override { return chunk_; }

  void play(std::span<const char> frames) override {
    const std::size_t n = frames.size() / format_.bytes_per_frame();
    // A live driver blocks in ao_play(); a file does not, so pace it.
    if (is_file_) pacer_.wait(n);
    if (!ao_play(device_, const_cast<char*>(frames.data()), static_cast<uint_32>(frames.size())))
      throw BackendError("libao could not play");
    if (is_file_) pacer_.written(n);
  }

  PauseStyle pause_style() const override {
    return pause_mode_ == PauseMode::silence ? PauseStyle::silence : PauseStyle::suspend;
  }
  void resume() override { pacer_.restart(); }

  void close() override {
    if (device_) ao_close(device_);
    device_ = nullptr;
  }

private:
  static std::string open_error(int e) {
    switch (e) {
    case AO_ENODRIVER:
      return "no such driver";
    case AO_ENOTLIVE:
      return "not a live driver";
    case AO_ENOTFILE:
      return "not a file driver";
    case AO_EBADOPTION:
      return "bad option";
    case AO_EOPENDEVICE:
      return "cannot open the device";
    case AO_EOPENFILE:
      return "cannot open the file";
    case AO_EFILEEXISTS:
      return "the file exists";
    case AO_EBADFORMAT:
      return "unsupported sample format";
    default:
      return "error " + std::to_string(e);
    }
  }

  std::string driver_name_;
  std::string file_;
  PauseMode pause_mode_;
  AudioFormat format_;
  std::size_t chunk_ = 882;
  ao_device* device_ = nullptr;
  bool is_file_ = false;
  Pacer pacer_;
};

} // namespace

std::unique_ptr<Backend> make_ao_backend(const Config& config, const BackendOptions& options) {
  return std::make_unique<AoBackend>(config, options);
}

} // namespace disorder
