// libFuzzer target for the parsers of protocol input: the field splitter,
// response lines, line splitting and dot-stuffed bodies.  Anything may come
// in; a SyntaxError or ProtocolError is a correct answer, a crash, a hang or
// a broken round trip is a bug.
//
// Run it under libFuzzer with `scripts/fuzz protocol [SECONDS]`; `make check`
// gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
#include "error.hpp"
#include "protocol.hpp"
#include "split.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A property that must hold whatever the input; abort so libFuzzer keeps
// the input that broke it.
void require(bool condition) {
  if (!condition) __builtin_trap();
}

void fuzz_fields(std::string_view line) {
  for (auto mode : {disorder::SplitMode::protocol, disorder::SplitMode::config}) {
    try {
      auto fields = disorder::split_fields(line, mode);
      // Whatever was accepted must survive quoting and splitting again.
      if (mode == disorder::SplitMode::protocol)
        require(disorder::split_fields(disorder::quote_fields(fields)) == fields);
    } catch (const disorder::SyntaxError&) {
    }
  }
  // Any bytes at all must quote into one field that splits back unchanged.
  auto back = disorder::split_fields(disorder::quote_field(line));
  require(back.size() == 1 && back[0] == line);
}

void fuzz_response(std::string_view line) {
  try {
    auto r = disorder::parse_response(line);
    require(r.code >= 100 && r.code <= 999);
    auto wire = disorder::format_response(r.code, r.text);
    wire.pop_back();
    auto again = disorder::parse_response(wire);
    require(again.code == r.code && again.text == r.text);
    r.fields();
  } catch (const disorder::SyntaxError&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The first byte chooses how the stream is cut into reads, so chunk
  // boundaries are explored too.
  const std::size_t chunk = size ? 1 + data[0] % 64 : 1;
  disorder::LineReader reader(4096);
  disorder::BodyDecoder body;
  std::vector<std::string> lines;
  try {
    for (std::size_t i = 0; i < input.size(); i += chunk) {
      reader.append(input.substr(i, chunk));
      while (auto line = reader.next_line()) {
        require(line->find('\n') == std::string::npos);
        fuzz_fields(*line);
        fuzz_response(*line);
        disorder::unstuff_line(*line);
        if (body.complete()) body.take_lines();
        body.add_line(*line);
        lines.push_back(std::move(*line));
      }
    }
  } catch (const disorder::ProtocolError&) {
    // An overlong line: the reader refuses it, as it should.
  }

  // Every list of lines survives dot-stuffing.
  const std::string stuffed = disorder::dot_stuff(lines);
  disorder::LineReader again;
  again.append(stuffed);
  disorder::BodyDecoder decoder;
  bool done = false;
  while (auto line = again.next_line())
    if ((done = decoder.add_line(*line))) break;
  require(done && !again.has_partial() && decoder.lines() == lines);
  return 0;
}
