// libFuzzer target for disorder-web's JSON (web/json.cpp), which parses
// every POST body a browser, or anyone on the LAN, sends.  A SyntaxError is
// a correct answer; a crash is a bug.  Whatever parses must also survive
// being written back: every string through the writer, which must produce
// a document that parses again to the same strings.
//
// Run it under libFuzzer with `scripts/fuzz json [SECONDS]`; `make check`
// gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
#include "error.hpp"
#include "web/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace disorder::web;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The raw bytes as a string value: the writer must make valid JSON of
  // anything, and what parses back is the input where it was valid UTF-8.
  JsonWriter w;
  w.begin_object().field("s", text).end_object();
  Json back = parse_json(w.str());
  require(back.get("s") && back.get("s")->as_string().has_value());
  try {
    Json j = parse_json(text);
    if (const Json* args = j.get("args")) {
      if (auto strings = args->as_strings()) {
        JsonWriter again;
        again.begin_array();
        for (const auto& s : *strings)
          again.string(s);
        again.end_array();
        auto round = parse_json(again.str()).as_strings();
        require(round && *round == *strings);
      }
    }
  } catch (const disorder::SyntaxError&) {
  }
  return 0;
}
