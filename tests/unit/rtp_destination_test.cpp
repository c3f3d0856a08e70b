// Networks in the configuration (address_prefix.hpp) and where rtp-request
// may aim a stream (server/rtp_destination.hpp).
#include "address_prefix.hpp"
#include "server/rtp_destination.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace disorder;

namespace {

IpAddress ip(const char* text) {
  auto a = parse_ip_address(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

AddressPrefix prefix(const char* text) {
  auto p = parse_address_prefix(text);
  EXPECT_TRUE(p) << text;
  return p.value_or(AddressPrefix{});
}

// The reply text of a refused request, or "" when it is allowed.
std::string refusal(const char* address, const char* port, const RtpRequester& who,
                    const std::vector<AddressPrefix>& allow = {}) {
  try {
    check_rtp_destination(parse_rtp_destination(address, port), who, allow);
    return "";
  } catch (const RtpDestinationError& e) {
    return e.what();
  }
}

} // namespace

TEST(AddressPrefix, ParsesAddressesNetworksAndAny) {
  EXPECT_TRUE(prefix("192.168.1.0/24").contains(ip("192.168.1.200")));
  EXPECT_FALSE(prefix("192.168.1.0/24").contains(ip("192.168.2.1")));
  EXPECT_TRUE(prefix("10.0.0.0/9").contains(ip("10.127.255.255")));
  EXPECT_FALSE(prefix("10.0.0.0/9").contains(ip("10.128.0.0")));
  EXPECT_TRUE(prefix("10.1.2.3").contains(ip("10.1.2.3")));
  EXPECT_FALSE(prefix("10.1.2.3").contains(ip("10.1.2.4")));
  EXPECT_TRUE(prefix("2001:db8::/32").contains(ip("2001:db8:1::5")));
  EXPECT_FALSE(prefix("2001:db8::/32").contains(ip("2001:db9::5")));
  EXPECT_TRUE(prefix("any").contains(ip("203.0.113.9")));
  EXPECT_TRUE(prefix("any").contains(ip("2001:db8::1")));
  // An IPv4 network holds those addresses seen through a dual-stack socket.
  EXPECT_TRUE(prefix("192.0.2.0/24").contains(ip("::ffff:192.0.2.1")));
  EXPECT_TRUE(prefix("0.0.0.0/0").contains(ip("1.2.3.4")));
  EXPECT_FALSE(prefix("0.0.0.0/0").contains(ip("2001:db8::1")));
  EXPECT_TRUE(prefix("::ffff:10.0.0.0/104").contains(ip("10.9.9.9")));
  for (const char* bad :
       {"", "anything", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
        "10.0.0.0/8/8", "host.example", "10.1", "/8", "10.0.0.0/0008"})
    EXPECT_FALSE(parse_address_prefix(bad)) << bad;
}

TEST(AddressPrefix, KnowsLoopback) {
  EXPECT_TRUE(is_loopback(ip("127.0.0.1")));
  EXPECT_TRUE(is_loopback(ip("127.45.6.7")));
  EXPECT_TRUE(is_loopback(ip("::1")));
  EXPECT_FALSE(is_loopback(ip("128.0.0.1")));
  EXPECT_FALSE(is_loopback(ip("::2")));
}

TEST(RtpDestination, ParsesNumericUnicastAddressesAndPorts) {
  RtpDestination d = parse_rtp_destination("127.1", "09000");
  EXPECT_EQ(d.host, "127.0.0.1"); // canonical: the speaker gets what was checked
  EXPECT_EQ(d.port, "9000");
  EXPECT_EQ(d.address, ip("127.0.0.1"));
  EXPECT_EQ(parse_rtp_destination("2001:DB8::1", "1").host, "2001:db8::1");
  for (auto [address, port] :
       std::vector<std::pair<const char*, const char*>>{{"localhost", "9000"},
                                                        {"127.0.0.1", "0"},
                                                        {"127.0.0.1", "65536"},
                                                        {"127.0.0.1", "x"},
                                                        {"127.0.0.1", ""},
                                                        {"", "9000"},
                                                        {"0.0.0.0", "9000"},
                                                        {"239.1.2.3", "9000"},
                                                        {"255.255.255.255", "9000"},
                                                        {"ff02::1", "9000"},
                                                        {"::", "9000"},
                                                        {"::ffff:224.0.0.1", "9000"}}) {
    EXPECT_THROW(parse_rtp_destination(address, port), RtpDestinationError)
        << address << " " << port;
  }
}

TEST(RtpDestination, ATcpClientMayAimOnlyAtItself) {
  RtpRequester tcp{ip("192.0.2.10"), {}};
  EXPECT_EQ(refusal("192.0.2.10", "9000", tcp), "");
  EXPECT_EQ(refusal("::ffff:192.0.2.10", "9000", tcp), "");
  EXPECT_EQ(refusal("192.0.2.11", "9000", tcp),
            "a stream may only go to the address you are connected from (the server's"
            " rtp_request_allow does not include 192.0.2.11)");
  // Not even at the server's host, which is not the client.
  EXPECT_NE(refusal("127.0.0.1", "9000", tcp), "");
}

TEST(RtpDestination, ALocalClientMayAimAtThisHost) {
  const std::vector<IpAddress> host{ip("10.0.0.5"), ip("2001:db8::5")};
  RtpRequester local{std::nullopt, host};
  for (const char* own : {"127.0.0.1", "127.0.0.2", "::1", "10.0.0.5", "2001:db8::5"})
    EXPECT_EQ(refusal(own, "9000", local), "") << own;
  EXPECT_EQ(refusal("10.0.0.6", "9000", local),
            "a stream may only go to this host's own addresses (the server's"
            " rtp_request_allow does not include 10.0.0.6)");
}

TEST(RtpDestination, RtpRequestAllowPermitsOtherAddresses) {
  RtpRequester tcp{ip("192.0.2.10"), {}};
  const std::vector<AddressPrefix> allow{prefix("198.51.100.0/24"), prefix("2001:db8::/32")};
  EXPECT_EQ(refusal("198.51.100.77", "9000", tcp, allow), "");
  EXPECT_EQ(refusal("2001:db8::77", "9000", tcp, allow), "");
  EXPECT_NE(refusal("198.51.101.77", "9000", tcp, allow), "");
  EXPECT_EQ(refusal("203.0.113.1", "9000", tcp, {prefix("any")}), "");
  // Still only unicast, whatever the list says.
  EXPECT_THROW(parse_rtp_destination("239.1.2.3", "9000"), RtpDestinationError);
}

// rtp-request's options: what the listener understands.  None is
// DisOrder's listener: samples, no RTCP.
TEST(RtpDestination, ListenerOptions) {
  auto parse = [](std::vector<std::string> words) { return parse_rtp_listener_options(words); };
  const RtpListenerOptions none = parse({});
  EXPECT_FALSE(none.frames);
  EXPECT_FALSE(none.rtcp);
  EXPECT_EQ(none.words(), (std::vector<std::string>{"samples"}));
  EXPECT_EQ(parse({"frames", "rtcp"}).words(), (std::vector<std::string>{"frames", "rtcp"}));
  EXPECT_EQ(parse({"rtcp", "frames"}).words(), (std::vector<std::string>{"frames", "rtcp"}));
  EXPECT_EQ(parse({"samples", "rtcp"}).words(), (std::vector<std::string>{"samples", "rtcp"}));
  EXPECT_EQ(parse({"frames", "frames"}).words(), (std::vector<std::string>{"frames"}));
  EXPECT_FALSE(none.opus);
  EXPECT_TRUE(parse({"opus"}).opus);
  EXPECT_EQ(parse({"opus", "rtcp"}).words(), (std::vector<std::string>{"samples", "rtcp", "opus"}));
  EXPECT_THROW(parse({"frames", "samples"}), RtpDestinationError);
  EXPECT_THROW(parse({"FRAMES"}), RtpDestinationError);
  try {
    parse({"rtcp", "bogus"});
    ADD_FAILURE() << "no error";
  } catch (const RtpDestinationError& e) {
    EXPECT_STREQ(e.what(), "unknown option 'bogus' (frames, samples, rtcp or opus)");
  }
}
