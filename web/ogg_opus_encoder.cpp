// The Ogg Opus stream (ogg_opus_encoder.hpp).
#include "web/ogg_opus_encoder.hpp"

#include "config.h"

#include "crypto.hpp"
#include "error.hpp"

#include <ogg/ogg.h>
#include <opus/opus.h>
#include <soxr.h>

#include <cstring>

namespace disorder::web {

namespace {

constexpr int kRate = 48000;
constexpr int kFrame = 960; // 20 ms at 48 kHz
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

OggOpusEncoder::OggOpusEncoder(int bitrate) {
  int err = 0;
  opus_ = opus_encoder_create(kRate, kStreamChannels, OPUS_APPLICATION_AUDIO, &err);
  if (!opus_ || err != OPUS_OK)
    throw Error(std::string("cannot start the Opus encoder: ") + opus_strerror(err));
  opus_encoder_ctl(opus_, OPUS_SET_BITRATE(bitrate));
  // Complexity 5 costs about half of the default's time for a difference
  // few can hear at this bitrate; the stream must stay cheap.
  opus_encoder_ctl(opus_, OPUS_SET_COMPLEXITY(5));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(opus_, OPUS_GET_LOOKAHEAD(&lookahead));
  pre_skip_ = lookahead;
  soxr_error_t serr = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_ = soxr_create(kStreamRate, kRate, kStreamChannels, &serr, &io, &q, nullptr);
  if (!soxr_ || serr) {
    opus_encoder_destroy(opus_);
    throw Error(std::string("cannot start the resampler: ") + (serr ? serr : "unknown error"));
  }
  std::vector<StreamUnit> ignored;
  start_chain(ignored);
}

OggOpusEncoder::~OggOpusEncoder() {
  chain_.reset();
  soxr_delete(soxr_);
  opus_encoder_destroy(opus_);
}

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
  opus_encoder_ctl(opus_, OPUS_RESET_STATE);
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
  header_page(opus_head(pre_skip_), true, 0);
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

void OggOpusEncoder::packet(const unsigned char* data, int len, std::vector<StreamUnit>& out) {
  if (held_) submit(std::move(*held_), false, out);
  held_.emplace(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
}

void OggOpusEncoder::end_chain(std::vector<StreamUnit>& out) {
  if (!held_) {
    // A chain with no audio yet (the title came before any sound) still
    // ends with a packet that carries the end-of-stream mark: one frame of
    // silence.
    std::vector<float> silence(static_cast<size_t>(kFrame * kStreamChannels), 0.0f);
    unsigned char packet_buf[4000];
    const int n = opus_encode_float(opus_, silence.data(), kFrame, packet_buf,
                                    static_cast<opus_int32>(sizeof packet_buf));
    if (n <= 0) return;
    held_.emplace(reinterpret_cast<const char*>(packet_buf), static_cast<size_t>(n));
  }
  submit(std::move(*held_), true, out);
  held_.reset();
}

void OggOpusEncoder::encode(std::span<const int16_t> frames, std::vector<StreamUnit>& out) {
  const size_t in_frames = frames.size() / kStreamChannels;
  // Room for what soxr may give back for this input (and a little of what
  // it held from before).
  const size_t room = in_frames * kRate / kStreamRate + 64;
  resampled_.resize(room * kStreamChannels);
  size_t done_in = 0, done_out = 0;
  const int16_t* in = frames.data();
  size_t left = in_frames;
  while (left > 0) {
    if (soxr_process(soxr_, in, left, &done_in, resampled_.data(), room, &done_out) != nullptr)
      return;
    pending_.insert(pending_.end(), resampled_.begin(),
                    resampled_.begin() + static_cast<long>(done_out * kStreamChannels));
    in += done_in * kStreamChannels;
    left -= done_in;
    if (done_in == 0 && done_out == 0) break;
  }
  unsigned char packet_buf[4000];
  size_t used = 0;
  while (pending_.size() - used >= static_cast<size_t>(kFrame * kStreamChannels)) {
    const int n = opus_encode_float(opus_, pending_.data() + used, kFrame, packet_buf,
                                    static_cast<opus_int32>(sizeof packet_buf));
    used += kFrame * kStreamChannels;
    if (n > 0) packet(packet_buf, n, out);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(used));
}

void OggOpusEncoder::set_title(const TrackTitle& title, std::vector<StreamUnit>& out) {
  if (title == title_) return;
  title_ = title;
  end_chain(out);
  start_chain(out);
}

} // namespace disorder::web
