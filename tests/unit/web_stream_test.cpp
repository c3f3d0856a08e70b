// disorder-web's audio stream pieces without a network: MP3 frames and
// their grouping, the Ogg Opus pages and chains (read back with libogg),
// the ICY metadata block and RTP L16 payloads.
#include "web/mp3_encoder.hpp"
#include "web/ogg_opus_encoder.hpp"
#include "web/opus_rtp_input.hpp"
#include "web/stream_metadata.hpp"
#include "web/stream_source.hpp"

#include <gtest/gtest.h>
#include <ogg/ogg.h>
#include <opus.h>

#include <cmath>
#include <cstring>

using namespace disorder::web;

namespace {

std::vector<int16_t> sine(double seconds, double freq = 440) {
  const size_t n = static_cast<size_t>(seconds * kStreamRate);
  std::vector<int16_t> out;
  for (size_t i = 0; i < n; ++i) {
    const auto v = static_cast<int16_t>(8000 * std::sin(2 * M_PI * freq * i / kStreamRate));
    out.push_back(v);
    out.push_back(v);
  }
  return out;
}

struct Page {
  bool bos, eos;
  int serial;
  int64_t granule;
  std::vector<std::string> packets;
};

// Each unit must be exactly one whole page.
Page read_page(const std::string& bytes) {
  ogg_sync_state sync;
  ogg_sync_init(&sync);
  char* buf = ogg_sync_buffer(&sync, static_cast<long>(bytes.size()));
  std::memcpy(buf, bytes.data(), bytes.size());
  ogg_sync_wrote(&sync, static_cast<long>(bytes.size()));
  ogg_page og;
  EXPECT_EQ(ogg_sync_pageout(&sync, &og), 1);
  EXPECT_EQ(static_cast<size_t>(og.header_len + og.body_len), bytes.size());
  Page p{ogg_page_bos(&og) != 0,
         ogg_page_eos(&og) != 0,
         ogg_page_serialno(&og),
         ogg_page_granulepos(&og),
         {}};
  ogg_stream_state os;
  ogg_stream_init(&os, p.serial);
  ogg_stream_pagein(&os, &og);
  ogg_packet op;
  // A page read alone, not the stream's first, starts after a "hole" (-1).
  for (int rc; (rc = ogg_stream_packetout(&os, &op)) != 0;)
    if (rc == 1) p.packets.emplace_back(reinterpret_cast<const char*>(op.packet), op.bytes);
  ogg_stream_clear(&os);
  ogg_sync_clear(&sync);
  return p;
}

} // namespace

TEST(StreamMetadata, TitleLine) {
  EXPECT_EQ((TrackTitle{"A", "B"}).line(), "A - B");
  EXPECT_EQ((TrackTitle{"", "B"}).line(), "B");
  EXPECT_EQ((TrackTitle{"A", ""}).line(), "A");
}

TEST(StreamMetadata, IcyBlockIsPaddedAndCounted) {
  const std::string b = icy_metadata("A - B");
  // "StreamTitle='A - B';" is 20 bytes: two blocks of 16.
  ASSERT_EQ(b.size(), 33u);
  EXPECT_EQ(b[0], 2);
  EXPECT_EQ(b.substr(1, 20), "StreamTitle='A - B';");
  EXPECT_EQ(b.substr(21), std::string(12, '\0'));
  // Too long: cut to what 255 blocks hold, never inside a character.
  std::string longest;
  for (int i = 0; i < 3000; ++i)
    longest += "\xc3\xa9"; // é
  const std::string c = icy_metadata(longest);
  EXPECT_EQ(static_cast<unsigned char>(c[0]), 255u);
  EXPECT_EQ(c.size(), 1u + 255 * 16);
  const size_t end = c.find("';");
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ((end - 14) % 2, 0u); // whole characters after StreamTitle='
}

TEST(Mp3, FrameLengthFromTheHeader) {
  // MPEG 1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes, 418 with padding.
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xfb\x90\x64", 4)), 417u);
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xfb\x92\x64", 4)), 418u);
  // MPEG 2 layer III, 64 kbit/s, 22.05 kHz: 72000 * 64 / 22050 = 208.
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xf3\x80\x64", 4)), 208u);
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xfb\xf0\x64", 4)), std::nullopt); // bad bitrate
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xfd\x90\x64", 4)), std::nullopt); // layer II
  EXPECT_EQ(mp3_frame_length("ID3\x04"), std::nullopt);
  EXPECT_EQ(mp3_frame_length(std::string("\xff\xfb", 2)), std::nullopt);
}

TEST(Mp3, UnitsAreWholeFramesInRealTime) {
  Mp3Encoder enc;
  std::vector<StreamUnit> units;
  const auto audio = sine(0.01);
  for (int i = 0; i < 200; ++i) // 2 s in pieces the size of RTP packets
    enc.encode(audio, units);
  size_t bytes = 0;
  for (const auto& u : units) {
    EXPECT_FALSE(u.header);
    std::string_view s = *u.bytes;
    int frames = 0;
    while (!s.empty()) {
      auto len = mp3_frame_length(s);
      ASSERT_TRUE(len) << "a unit that does not start with a frame";
      ASSERT_LE(*len, s.size()) << "a unit that ends inside a frame";
      s.remove_prefix(*len);
      ++frames;
    }
    // About 100 ms a unit: one write to each listener.
    EXPECT_GE(frames, 4);
    bytes += u.bytes->size();
  }
  // 128 kbit/s for 2 s, less what LAME and the grouping still hold.
  EXPECT_GT(bytes, 27000u);
  EXPECT_LE(bytes, 32100u);
  EXPECT_TRUE(enc.headers().empty());
}

TEST(OggOpus, HeadersThenPagesThenANewChainPerTrack) {
  OggOpusEncoder enc;
  std::vector<StreamUnit> units;
  enc.set_title({"Artist", "First"}, units);
  // The first chain, with no audio, ends with a frame of silence marked as
  // its end; the new one begins.
  ASSERT_EQ(units.size(), 3u);
  EXPECT_TRUE(read_page(*units[0].bytes).eos);
  EXPECT_EQ(read_page(*units[0].bytes).granule, 960);
  units.clear();
  const auto headers = enc.headers();
  ASSERT_EQ(headers.size(), 2u);
  const Page head = read_page(*headers[0].bytes), tags = read_page(*headers[1].bytes);
  EXPECT_TRUE(headers[0].header && headers[1].header);
  EXPECT_TRUE(head.bos);
  ASSERT_EQ(head.packets.size(), 1u);
  EXPECT_EQ(head.packets[0].substr(0, 8), "OpusHead");
  EXPECT_EQ(head.packets[0].size(), 19u);
  EXPECT_EQ(head.packets[0][9], 2); // channels
  ASSERT_EQ(tags.packets.size(), 1u);
  EXPECT_EQ(tags.packets[0], OggOpusEncoder::opus_tags({"Artist", "First"}));
  EXPECT_NE(tags.packets[0].find("ARTIST=Artist"), std::string::npos);
  EXPECT_NE(tags.packets[0].find("TITLE=First"), std::string::npos);
  EXPECT_EQ(tags.serial, head.serial);

  const auto audio = sine(0.01);
  for (int i = 0; i < 100; ++i) // 1 s
    enc.encode(audio, units);
  ASSERT_GE(units.size(), 8u); // a page every 100 ms
  int64_t granule = 0;
  for (const auto& u : units) {
    const Page p = read_page(*u.bytes);
    EXPECT_FALSE(u.header);
    EXPECT_EQ(p.serial, head.serial);
    EXPECT_FALSE(p.bos || p.eos);
    EXPECT_GT(p.granule, granule);
    EXPECT_EQ(p.granule % 960, 0);
    granule = p.granule;
  }

  units.clear();
  enc.set_title({"Artist", "Second"}, units);
  ASSERT_EQ(units.size(), 3u);
  const Page last = read_page(*units[0].bytes);
  EXPECT_EQ(last.serial, head.serial);
  EXPECT_TRUE(last.eos);
  const Page next = read_page(*units[1].bytes);
  EXPECT_TRUE(next.bos && units[1].header && units[2].header);
  EXPECT_NE(next.serial, head.serial);
  EXPECT_NE(read_page(*units[2].bytes).packets[0].find("TITLE=Second"), std::string::npos);
  EXPECT_EQ(*enc.headers()[0].bytes, *units[1].bytes);
  // The same title again starts nothing.
  units.clear();
  enc.set_title({"Artist", "Second"}, units);
  EXPECT_TRUE(units.empty());
}

TEST(RtpL16, Payloads) {
  uint16_t seq = 0;
  int pt = -1;
  // Version 2, payload type 10, sequence 0x1234, two stereo frames.
  std::vector<unsigned char> p = {0x80, 10, 0x12, 0x34, 0,    0,    0,    0,    0,    0,
                                  0,    1,  0x01, 0x02, 0xff, 0xfe, 0x00, 0x01, 0x80, 0x00};
  auto s = rtp_l16_payload(p, seq, pt);
  ASSERT_TRUE(s);
  EXPECT_EQ(seq, 0x1234);
  EXPECT_EQ(pt, 10);
  EXPECT_EQ(*s, (std::vector<int16_t>{0x0102, -2, 1, -32768}));
  // One CSRC, a header extension of one word and two bytes of padding.
  std::vector<unsigned char> q = {0xb1, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9,
                                  9,    0,  0, 0, 1, 7, 7, 7, 7, 0, 5, 0, 6, 0, 2};
  s = rtp_l16_payload(q, seq, pt);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<int16_t>{5, 6}));
  // Mono becomes stereo.
  std::vector<unsigned char> m = {0x80, 11, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 7};
  s = rtp_l16_payload(m, seq, pt);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<int16_t>{7, 7}));
  // Not L16: the payload type is still reported.
  std::vector<unsigned char> opus = {0x80, 96, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0xfc};
  EXPECT_FALSE(rtp_l16_payload(opus, seq, pt));
  EXPECT_EQ(pt, 96);
  // Short, wrong version, padding or extension longer than the packet.
  EXPECT_FALSE(rtp_l16_payload(std::span<const unsigned char>(p.data(), 11), seq, pt));
  p[0] = 0x40;
  EXPECT_FALSE(rtp_l16_payload(p, seq, pt));
  p[0] = 0xa0;
  p.back() = 200;
  EXPECT_FALSE(rtp_l16_payload(p, seq, pt));
  std::vector<unsigned char> x = {0x90, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9};
  EXPECT_FALSE(rtp_l16_payload(x, seq, pt));
}

// An Opus broadcast as disorder-web takes it: 20 ms packets of a 1 kHz tone
// at 48 kHz come out as 20 ms at 44.1 kHz, lost packets as concealed audio,
// and a payload that is not Opus as nothing.
TEST(OpusRtpInput, DecodesConcealsAndResamples) {
  int error = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &error);
  ASSERT_EQ(error, OPUS_OK);
  disorder::web::OpusRtpInput input;
  std::vector<int16_t> pcm(960 * 2);
  std::vector<unsigned char> packet(4000);
  std::size_t frames = 0, after_loss = 0;
  double energy = 0;
  for (int k = 0; k < 50; ++k) {
    for (int i = 0; i < 960; ++i)
      pcm[2 * i] = pcm[2 * i + 1] =
          static_cast<int16_t>(8000 * std::sin(2 * M_PI * 1000 * (k * 960 + i) / 48000.0));
    const int n = opus_encode(enc, pcm.data(), 960, packet.data(), 4000);
    ASSERT_GT(n, 0);
    if (k == 30 || k == 31) continue; // lost
    const auto out = input.decode({packet.data(), static_cast<std::size_t>(n)}, k == 32 ? 2 : 0);
    ASSERT_EQ(out.size() % 2, 0u);
    frames += out.size() / 2;
    if (k == 32) after_loss = out.size() / 2;
    if (k > 40)
      for (std::size_t i = 0; i < out.size(); i += 2)
        energy += static_cast<double>(out[i]) * out[i];
  }
  opus_encoder_destroy(enc);
  // 50 packets of 20 ms, the two lost ones concealed: about 1 s at 44.1 kHz
  // (less what the resampler holds back, about 15 ms).
  EXPECT_NEAR(static_cast<double>(frames), 44100.0 - 660, 200.0);
  // The packet after the loss brings its own audio and two packets'
  // concealment, give or take what the resampler holds back or lets go.
  EXPECT_NEAR(static_cast<double>(after_loss), 3 * 882.0, 300.0);
  EXPECT_GT(energy, 0.0);
  const unsigned char junk[] = {0xff, 0xff, 0xff};
  EXPECT_TRUE(input.decode({junk, 0}, 0).empty());
}
