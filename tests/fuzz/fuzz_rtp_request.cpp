// libFuzzer target for what rtp-request does with its arguments before a
// stream starts: the ADDRESS and PORT parser, the rtp_request_allow
// entries, and the check that a stream goes only where the requester may
// aim it.  The input is lines: ADDRESS, PORT, the requester's peer address
// ("local" for the UNIX socket), then
// allow entries, host addresses when they start with "host ", or the
// request's options (frames, samples, rtcp) when they start with "option ".  Refusals
// are correct answers; a crash, a hang, or a stream allowed to an address
// that neither the requester nor the allow list stands for is a bug.
//
// Run it under libFuzzer with `scripts/fuzz rtp_request [SECONDS]`; `make
// check` gives it a quick deterministic run (tests/fuzz/standalone_main.cpp).
#include "server/rtp_destination.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

std::vector<std::string> lines_of(std::string_view input) {
  std::vector<std::string> out;
  while (!input.empty() || out.size() < 3) {
    const auto newline = input.find('\n');
    out.emplace_back(input.substr(0, newline));
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace disorder;
  if (size > 4096) return 0; // a request line is short; keep runs fast
  const auto lines = lines_of(std::string_view(reinterpret_cast<const char*>(data), size));

  std::vector<AddressPrefix> allow;
  std::vector<IpAddress> host;
  std::vector<std::string> options;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.starts_with("option ")) {
      options.emplace_back(line.substr(7));
      continue;
    }
    if (line.starts_with("host ")) {
      if (auto a = parse_ip_address(line.substr(5))) host.push_back(*a);
      continue;
    }
    auto p = parse_address_prefix(line);
    if (!p) continue;
    // A prefix holds its own address, and its text parses back to it.
    require(p->contains(p->address));
    require(parse_address_prefix(p->text) == p);
    allow.push_back(std::move(*p));
  }

  // The options the speaker gets parse back to the same.
  try {
    const RtpListenerOptions o = parse_rtp_listener_options(options);
    const RtpListenerOptions back = parse_rtp_listener_options(o.words());
    require(back.frames == o.frames && back.rtcp == o.rtcp && back.words() == o.words());
  } catch (const RtpDestinationError&) {
  }

  RtpRequester requester;
  requester.host_addresses = host;
  if (lines[2] != "local") {
    requester.peer = parse_ip_address(lines[2]);
    if (!requester.peer) return 0; // not an address: no such connection
  }

  RtpDestination d;
  try {
    d = parse_rtp_destination(lines[0], lines[1]);
  } catch (const RtpDestinationError&) {
    return 0;
  }
  // What goes to the speaker is canonical: it parses back to itself.
  const RtpDestination again = parse_rtp_destination(d.host, d.port);
  require(again.address == d.address && again.host == d.host && again.port == d.port);
  require(!d.port.empty() && d.port[0] != '0' && d.port.size() <= 5);

  bool allowed = true;
  try {
    check_rtp_destination(d, requester, allow);
  } catch (const RtpDestinationError&) {
    allowed = false;
  }
  const bool listed =
      std::any_of(allow.begin(), allow.end(), [&](const auto& p) { return p.contains(d.address); });
  const bool own = requester.peer ? d.address == *requester.peer
                                  : is_loopback(d.address) || std::find(host.begin(), host.end(),
                                                                        d.address) != host.end();
  require(allowed == (listed || own));
  return 0;
}
