// libFuzzer target for the configuration parser: any text, as a file named
// "fuzz".  A ConfigError is a correct answer; a crash or hang is a bug, and
// so is an error message without the FILE:LINE prefix.
#include "config.hpp"
#include "error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  disorder::Config config;
  try {
    disorder::apply_config_text(config, text, "fuzz");
  } catch (const disorder::ConfigError& e) {
    if (std::string_view(e.what()).substr(0, 5) != "fuzz:") __builtin_trap();
  }
  return 0;
}
