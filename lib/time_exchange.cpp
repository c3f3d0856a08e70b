// The clock exchange's two packets, field by field in network byte order.
#include "time_exchange.hpp"

#include "big_endian.hpp"
#include "error.hpp"

#include <cstring>

namespace disorder {

namespace {

constexpr std::uint8_t kMagic[4] = {'D', 'S', 'Y', 'N'};
constexpr std::uint8_t kTypeRequest = 1;
constexpr std::uint8_t kTypeAnswer = 2;
constexpr std::uint8_t kVersion = 1;

std::size_t put_packet(std::uint8_t type, std::int64_t t1, std::int64_t t2, std::int64_t t3,
                       std::span<std::uint8_t> out) {
  if (out.size() < kTimePacketSize) throw Error("time exchange buffer too small");
  std::uint8_t* p = out.data();
  std::memcpy(p, kMagic, 4);
  p[4] = type;
  p[5] = kVersion;
  p[6] = 0;
  p[7] = 0;
  put64(p + 8, static_cast<std::uint64_t>(t1));
  put64(p + 16, static_cast<std::uint64_t>(t2));
  put64(p + 24, static_cast<std::uint64_t>(t3));
  return kTimePacketSize;
}

// The packet's data if it is one of `type` and this version.
const std::uint8_t* check_packet(std::span<const std::uint8_t> d, std::uint8_t type) {
  if (d.size() != kTimePacketSize || !is_time_packet(d)) return nullptr;
  if (d[4] != type || d[5] != kVersion) return nullptr;
  return d.data();
}

std::int64_t get_signed64(const std::uint8_t* p) {
  return static_cast<std::int64_t>(get64(p));
}

} // namespace

std::size_t encode_time_request(const TimeRequest& request, std::span<std::uint8_t> out) {
  return put_packet(kTypeRequest, request.t1, 0, 0, out);
}

std::size_t encode_time_answer(const TimeAnswer& answer, std::span<std::uint8_t> out) {
  return put_packet(kTypeAnswer, answer.t1, answer.t2, answer.t3, out);
}

bool is_time_packet(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= 4 && std::memcmp(datagram.data(), kMagic, 4) == 0;
}

std::optional<TimeRequest> decode_time_request(std::span<const std::uint8_t> datagram) {
  const std::uint8_t* p = check_packet(datagram, kTypeRequest);
  if (!p) return std::nullopt;
  return TimeRequest{get_signed64(p + 8)};
}

std::optional<TimeAnswer> decode_time_answer(std::span<const std::uint8_t> datagram) {
  const std::uint8_t* p = check_packet(datagram, kTypeAnswer);
  if (!p) return std::nullopt;
  return TimeAnswer{get_signed64(p + 8), get_signed64(p + 16), get_signed64(p + 24)};
}

} // namespace disorder
