// The Ogg Opus stream (ogg_opus_encoder.hpp).
#include "web/ogg_opus_encoder.hpp"

#include "config.h"

#include "crypto.hpp"
#include "error.hpp"

#include <bit>
#include <cstring>
#include <ogg/ogg.h>

namespace disorder::web {

namespace {

constexpr int kFrameUs = 20000;
constexpr int kFrame = 960; // 20 ms at 48 kHz
// Complexity 5 costs about half of the default's time for a difference
// few can hear at this bitrate; the stream must stay cheap.
constexpr int kComplexity = 5;
// Packets per page: a page every 100 ms keeps a joining listener's wait
// and the per-page overhead both small.
constexpr int kPacketsPerPage = 5;

void put_le16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put_le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_string(std::string& s, const std::string& v) {
  put_le32(s, static_cast<uint32_t>(v.size()));
  s += v;
}

std::string page_bytes(const ogg_page& page) {
  std::string b(reinterpret_cast<const char*>(page.header), static_cast<size_t>(page.header_len));
  b.append(reinterpret_cast<const char*>(page.body), static_cast<size_t>(page.body_len));
  return b;
}

AudioFormat stream_format() {
  AudioFormat f;
  f.rate = kStreamRate;
  f.channels = kStreamChannels;
  f.bits = 16;
  f.byte_order = std::endian::native;
  return f;
}

} // namespace

struct OggOpusEncoder::Chain {
  ogg_stream_state os{};
  int64_t packetno = 0;
  int64_t granule = 0;
  int unflushed = 0;
  explicit Chain(int serial) { ogg_stream_init(&os, serial); }
  ~Chain() { ogg_stream_clear(&os); }
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
};

OggOpusEncoder::OggOpusEncoder(int bitrate)
    : opus_(stream_format(), bitrate, kFrameUs, kComplexity) {
  std::vector<StreamUnit> ignored;
  start_chain(ignored);
}

OggOpusEncoder::~OggOpusEncoder() = default;

std::string OggOpusEncoder::opus_head(int pre_skip) {
  std::string h = "OpusHead";
  h.push_back(1); // version
  h.push_back(static_cast<char>(kStreamChannels));
  put_le16(h, static_cast<unsigned>(pre_skip));
  put_le32(h, kStreamRate); // the original rate, for information
  put_le16(h, 0);           // output gain
  h.push_back(0);           // channel mapping family 0: mono or stereo
  return h;
}

std::string OggOpusEncoder::opus_tags(const TrackTitle& title) {
  std::string t = "OpusTags";
  put_string(t, "disorder " PACKAGE_VERSION);
  std::vector<std::string> comments;
  if (!title.artist.empty()) comments.push_back("ARTIST=" + title.artist);
  if (!title.title.empty()) comments.push_back("TITLE=" + title.title);
  put_le32(t, static_cast<uint32_t>(comments.size()));
  for (const auto& c : comments)
    put_string(t, c);
  return t;
}

void OggOpusEncoder::start_chain(std::vector<StreamUnit>& out) {
  uint32_t serial = 0;
  const std::string r = random_bytes(4);
  std::memcpy(&serial, r.data(), 4);
  chain_ = std::make_unique<Chain>(static_cast<int>(serial & 0x7fffffff));
  // Each chain decodes from a fresh decoder state, so the encoder starts
  // afresh too.
  opus_.restart_encoder();
  headers_.clear();
  auto header_page = [this](std::string packet, bool bos, int64_t packetno) {
    ogg_packet p{};
    p.packet = reinterpret_cast<unsigned char*>(packet.data());
    p.bytes = static_cast<long>(packet.size());
    p.b_o_s = bos;
    p.granulepos = 0;
    p.packetno = packetno;
    ogg_stream_packetin(&chain_->os, &p);
    ogg_page page;
    // Each header packet ends its own page (RFC 7845, section 3).
    while (ogg_stream_flush(&chain_->os, &page))
      headers_.push_back({std::make_shared<const std::string>(page_bytes(page)), true});
  };
  header_page(opus_head(static_cast<int>(opus_.lookahead())), true, 0);
  header_page(opus_tags(title_), false, 1);
  chain_->packetno = 2;
  out.insert(out.end(), headers_.begin(), headers_.end());
}

void OggOpusEncoder::submit(std::string bytes, bool eos, std::vector<StreamUnit>& out) {
  Chain& c = *chain_;
  c.granule += kFrame;
  ogg_packet p{};
  p.packet = reinterpret_cast<unsigned char*>(bytes.data());
  p.bytes = static_cast<long>(bytes.size());
  p.e_o_s = eos;
  p.granulepos = c.granule;
  p.packetno = c.packetno++;
  ogg_stream_packetin(&c.os, &p);
  if (++c.unflushed < kPacketsPerPage && !eos) return;
  c.unflushed = 0;
  ogg_page page;
  while (ogg_stream_flush(&c.os, &page))
    out.push_back({std::make_shared<const std::string>(page_bytes(page)), false});
}

void OggOpusEncoder::packet(std::span<const std::uint8_t> data, std::vector<StreamUnit>& out) {
  if (held_) submit(std::move(*held_), false, out);
  held_.emplace(reinterpret_cast<const char*>(data.data()), data.size());
}

void OggOpusEncoder::end_chain(std::vector<StreamUnit>& out) {
  // A chain with no audio yet (the title came before any sound) still ends
  // with a packet that carries the end-of-stream mark: one frame of
  // silence.
  if (!held_) opus_.push_silence_frame([&](auto p, std::uint64_t) { packet(p, out); });
  if (!held_) return;
  submit(std::move(*held_), true, out);
  held_.reset();
}

void OggOpusEncoder::encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) {
  try {
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(frames.data()),
                                              frames.size_bytes());
    opus_.push(bytes, [&](auto p, std::uint64_t) { packet(p, out); });
  } catch (const Error&) {
    // A library failed on this audio: the stream goes on without it.
  }
}

void OggOpusEncoder::set_title(const TrackTitle& title, std::vector<StreamUnit>& out) {
  if (title == title_) return;
  title_ = title;
  end_chain(out);
  start_chain(out);
}

} // namespace disorder::web
