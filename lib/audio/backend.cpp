// The backend table and what every backend shares.
#include "backend.hpp"

#include <algorithm>
#include <string_view>

namespace disorder {

void Backend::silence(std::size_t frames) {
  play_zeros(frames);
}

void Backend::make_zeros(const AudioFormat& format, std::size_t chunk) {
  zeros_bpf_ = format.bytes_per_frame();
  if (zeros_frames_ < chunk) {
    zeros_.assign(chunk * zeros_bpf_, 0);
    zeros_frames_ = chunk;
  }
}

void Backend::play_zeros(std::size_t frames) {
  while (frames > 0) {
    const std::size_t n = std::min(frames, zeros_frames_);
    if (n == 0) return; // not opened yet
    play(std::span<const char>(zeros_.data(), n * zeros_bpf_));
    frames -= n;
  }
}

AudioFormat output_format(const Config& config) {
  const SampleFormat s = config.effective_sample_format();
  AudioFormat f;
  f.bits = static_cast<std::uint8_t>(s.bits);
  f.rate = static_cast<std::uint32_t>(s.rate);
  f.channels = static_cast<std::uint8_t>(s.channels);
  f.byte_order = s.byte_order;
  return f;
}

namespace {

struct BackendEntry {
  std::string_view api;
  std::unique_ptr<Backend> (*make)(const Config&, const BackendOptions&);
};

constexpr BackendEntry kBackends[] = {
    {"alsa", &make_alsa_backend},
    {"ao", &make_ao_backend},
    {"command", &make_command_backend},
    {"rtp", &make_rtp_backend},
};

} // namespace

std::unique_ptr<Backend> make_backend(const Config& config, const BackendOptions& options) {
  const std::string api = config.effective_api();
  for (const auto& entry : kBackends)
    if (entry.api == api) return entry.make(config, options);
  throw ConfigError("api " + api + " is not available in this build of disorder-speaker");
}

} // namespace disorder
