#!/usr/bin/env python3
"""disorder-web's audio stream as its listeners hear it: a jukebox with
`api rtp` in request mode plays generated tones, and ffmpeg reads
/stream.opus and /stream.mp3 and hears the playing tone at its level; the
Ogg stream's OpusTags and the MP3 stream's ICY StreamTitle name the playing
track and change with it; a listener that stops reading skips and is
dropped while the others keep up and the API keeps answering; a new
listener gets the headers and audio within a second; who may listen, and
the listener limit."""
import shutil
import socket
import threading
import time

from harness import free_udp_port, run_tests, test, wait_for
from stream_harness import (HIGH_HZ, LOW_HZ, IcyStream, OggStream, StreamJukebox,
                            StreamReader, assert_tone, capture, tmpdir)
from web_harness import WebClient, needs_daemon


def stream_url(j, fmt):
    return f"{j.url}/stream.{fmt}"


@test
def ffmpeg_hears_the_playing_tone_in_both_formats_and_the_next_one_after_a_change():
    needs_daemon()
    out = tmpdir()
    try:
        with StreamJukebox() as j:
            j.play(j.low)
            for fmt in ("opus", "mp3"):
                rate, samples = capture(stream_url(j, fmt), 3, out)
                assert rate == (48000 if fmt == "opus" else 44100), (fmt, rate)
                assert_tone(rate, samples, LOW_HZ, HIGH_HZ, f"{fmt} before the change")
            j.play(j.high)
            for fmt in ("opus", "mp3"):
                rate, samples = capture(stream_url(j, fmt), 3, out)
                assert_tone(rate, samples, HIGH_HZ, LOW_HZ, f"{fmt} after the change")
    finally:
        shutil.rmtree(out, ignore_errors=True)


@test
def in_broadcast_mode_the_stream_is_the_broadcast_one():
    needs_daemon()
    out = tmpdir()
    try:
        with StreamJukebox(broadcast_port=free_udp_port()) as j:
            j.play(j.high)
            rate, samples = capture(stream_url(j, "opus"), 3, out)
            assert_tone(rate, samples, HIGH_HZ, LOW_HZ, "the broadcast stream")
            # No stream of its own was asked for (disorderd logs each one).
            assert "RTP stream 1 to" not in j.log_text(), j.log_text()
    finally:
        shutil.rmtree(out, ignore_errors=True)


@test
def an_opus_broadcast_is_decoded_for_both_formats():
    # rtp_encoding opus: disorder-web decodes the Opus broadcast (resampled
    # to the stream's rate) and encodes it again, as it does L16.
    needs_daemon()
    out = tmpdir()
    try:
        with StreamJukebox(broadcast_port=free_udp_port(), server_extra="rtp_encoding opus\n") as j:
            j.play(j.high)
            for fmt in ("opus", "mp3"):
                rate, samples = capture(stream_url(j, fmt), 3, out)
                assert_tone(rate, samples, HIGH_HZ, LOW_HZ, f"the Opus broadcast as {fmt}")
            assert "neither L16" not in j.log_text(), j.log_text()
    finally:
        shutil.rmtree(out, ignore_errors=True)


@test
def opus_tags_and_icy_titles_name_the_playing_track_and_follow_a_change():
    needs_daemon()
    with StreamJukebox() as j:
        j.play(j.low)
        low_artist, low_title = j.title_of(j.low)
        high_artist, high_title = j.title_of(j.high)
        assert (low_artist, low_title) == ("Stream Artist", "Low Tone"), (low_artist, low_title)
        ogg = OggStream(j.web_port)
        icy = IcyStream(j.web_port)
        try:
            assert ogg.status == 200 and ogg.header("Content-Type") == "audio/ogg"
            assert icy.status == 200 and icy.header("Content-Type") == "audio/mpeg"
            assert icy.metaint == 16000, icy.metaint
            # The first two pages of the Ogg stream are its headers.
            first = ogg.next_page()
            assert first[0] & 2 and first[4][0].startswith(b"OpusHead"), first
            second = ogg.next_page()
            assert second[2] == first[2] and second[4][0].startswith(b"OpusTags"), second
            tags = ogg.wait_tags(lambda t: t.get("TITLE") == low_title, "the low tone's tags")
            assert tags == {"ARTIST": low_artist, "TITLE": low_title}, tags
            icy.wait_title(f"{low_artist} - {low_title}")
            j.play(j.high)
            tags = ogg.wait_tags(lambda t: t.get("TITLE") == high_title, "the high tone's tags")
            assert tags == {"ARTIST": high_artist, "TITLE": high_title}, tags
            icy.wait_title(f"{high_artist} - {high_title}")
        finally:
            ogg.close()
            icy.close()


@test
def a_new_chain_ends_the_old_one_and_starts_with_its_own_headers():
    needs_daemon()
    with StreamJukebox() as j:
        j.play(j.low)
        ogg = OggStream(j.web_port)
        try:
            _, low_title = j.title_of(j.low)
            _, high_title = j.title_of(j.high)
            ogg.wait_tags(lambda t: t.get("TITLE") == low_title, "the low tone's tags")
            old_serial = ogg.tags_serial
            j.play(j.high)
            pages = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                pages.append(ogg.next_page())
                if pages[-1][2] != old_serial and any(p.startswith(b"OpusTags")
                                                      for p in pages[-1][4]):
                    break
            old = [p for p in pages if p[2] == old_serial]
            new = [p for p in pages if p[2] != old_serial]
            assert old and old[-1][0] & 4, "the old chain's last page has no EOS flag"
            assert new[0][0] & 2 and new[0][4][0].startswith(b"OpusHead"), new[0]
            assert new[1][4][0].startswith(b"OpusTags"), new[1]
            # Nothing of the old chain after the new one began.
            assert pages.index(new[0]) > pages.index(old[-1])
        finally:
            ogg.close()


def reader_thread(j, fmt, stats, stop):
    """Reads a stream as fast as it comes, noting bytes and the longest
    wait between two reads."""
    r = StreamReader(j.web_port, f"/stream.{fmt}")
    last = time.monotonic()
    stats.update(bytes=0, longest_gap=0.0, started=last)
    try:
        while not stop.is_set():
            data = r.read(65536)
            now = time.monotonic()
            stats["bytes"] += len(data)
            stats["longest_gap"] = max(stats["longest_gap"], now - last)
            last = now
    except Exception as e:  # noqa: BLE001 -- reported by the test
        stats["error"] = repr(e)
    finally:
        r.close()


@test
def a_listener_that_stops_reading_is_skipped_then_dropped_and_slows_nobody():
    needs_daemon()
    with StreamJukebox() as j:
        j.play(j.low)
        stop = threading.Event()
        stats = [{}, {}]
        threads = [threading.Thread(target=reader_thread, args=(j, "opus", s, stop))
                   for s in stats]
        for t in threads:
            t.start()
        # The stalled listener: asks, then never reads; its receive buffer
        # is small so that it fills soon.
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", j.web_port))
        stalled.sendall(b"GET /stream.opus HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            wait_for(lambda: all(s.get("bytes", 0) > 0 for s in stats), "the fast listeners")
            t0 = time.monotonic()
            base = [s["bytes"] for s in stats]
            api_worst = 0.0
            c = WebClient(j.web_port)
            # 14 s: long enough for the stalled listener to fill its
            # buffers, skip, and be dropped (10 s behind).
            while time.monotonic() - t0 < 14:
                a = time.monotonic()
                r = c.get("/api/playing")
                api_worst = max(api_worst, time.monotonic() - a)
                assert r.status == 200, r
                time.sleep(0.5)
            elapsed = time.monotonic() - t0
            for i, s in enumerate(stats):
                assert "error" not in s, s
                rate = (s["bytes"] - base[i]) * 8 / elapsed
                # 96 kbit/s of Opus and the Ogg framing: within a fifth.
                assert rate > 0.8 * 96000, f"listener {i}: {rate:.0f} bit/s"
                assert s["longest_gap"] < 1.0, f"listener {i} waited {s['longest_gap']:.2f} s"
            assert api_worst < 2.0, f"the API took {api_worst:.2f} s"
            wait_for(lambda: "dropped: it stopped reading" in j.web.log_text(),
                     "the stalled listener to be dropped", 10)
        finally:
            stop.set()
            stalled.close()
            for t in threads:
                t.join(10)


def mp3_frames(data):
    """The lengths of the MPEG 1 layer III frames that data is made of
    (asserting that it is made of whole frames, from its start)."""
    rates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    out, pos = [], 0
    while len(data) - pos >= 4:
        h = data[pos:pos + 4]
        assert h[0] == 0xFF and h[1] & 0xFE == 0xFA, f"no frame at byte {pos}: {h!r}"
        length = 144000 * rates[h[2] >> 4] // 44100 + ((h[2] >> 1) & 1)
        if pos + length > len(data):
            break
        out.append(length)
        pos += length
    return out


def falls_behind(j, reader):
    """Stops reading until disorder-web says the listener falls behind,
    and a second more (well within the 10 s after which it is dropped)."""
    n = j.web.log_text().count("falls behind: skipping")
    wait_for(lambda: j.web.log_text().count("falls behind: skipping") > n,
             "the listener to fall behind", 60)
    time.sleep(1)


@test
def a_listener_that_falls_behind_skips_whole_pages_and_frames_and_catches_up():
    needs_daemon()
    with StreamJukebox() as j:
        j.play(j.low)
        # A receive buffer of a fixed, modest size: the listener's buffers
        # fill sooner than with the kernel's growing one.
        ogg = OggStream(j.web_port, rcvbuf=32768)
        try:
            ogg.next_page()
            falls_behind(j, ogg)
            # Every page read is whole (ogg_pages asserts that each starts
            # with OggS where the previous one ended); within a chain, the
            # page numbers jump where pages were skipped.
            def skipped():
                a, b = ogg.seen[-1], ogg.next_page()
                return a[2] == b[2] and b[3] - a[3] > 1
            wait_for(skipped, "a page number that jumps past skipped pages", 30)
            # And it catches up, reading as fast as pages are made.
            def caught_up():
                ogg.next_page()
                return "caught up (" in j.web.log_text()
            wait_for(caught_up, "the listener to catch up", 30)
        finally:
            ogg.close()
        mp3 = StreamReader(j.web_port, "/stream.mp3", rcvbuf=32768)
        try:
            data = mp3.read(65536)
            falls_behind(j, mp3)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 3:
                data += mp3.read(65536)
            # Whole frames only, skipped or not.
            frames = mp3_frames(data)
            assert len(frames) > 100, len(frames)
        finally:
            mp3.close()
        assert "dropped" not in j.web.log_text(), j.web.log_text()


@test
def a_listener_gets_the_headers_and_audio_within_a_second():
    needs_daemon()
    with StreamJukebox() as j:
        j.play(j.low)
        # First with the encoder idle (nobody listening), then with it running.
        keep = None
        try:
            for case in ("first listener", "joining listener"):
                t0 = time.monotonic()
                ogg = OggStream(j.web_port)
                pages = [ogg.next_page(), ogg.next_page()]
                assert pages[0][4][0].startswith(b"OpusHead"), pages[0]
                assert pages[1][4][0].startswith(b"OpusTags"), pages[1]
                # Audio: a page with a granule position.  (The first
                # listener's stream may start a new chain for the playing
                # track's title first.)
                while pages[-1][1] <= 0 and time.monotonic() - t0 < 2:
                    pages.append(ogg.next_page())
                took = time.monotonic() - t0
                assert pages[-1][1] > 0, pages
                assert took < 1.0, f"{case}: audio after {took:.2f} s"
                if keep is None:
                    keep = ogg
                else:
                    ogg.close()
                t0 = time.monotonic()
                mp3 = StreamReader(j.web_port, "/stream.mp3", rcvbuf=32768)
                data = mp3.read(4)
                took = time.monotonic() - t0
                mp3.close()
                assert data[0] == 0xFF and data[1] & 0xE0 == 0xE0, data  # a frame's start
                assert took < 1.0, f"{case} (mp3): audio after {took:.2f} s"
        finally:
            if keep:
                keep.close()


@test
def without_a_guest_user_listening_needs_a_login_and_a_full_stream_says_so():
    needs_daemon()
    with StreamJukebox(guest=False, web_extra="web_stream_listeners 2\n") as j:
        # No guest user: no anonymous listening.
        anon = WebClient(j.web_port).get("/stream.opus")
        assert anon.status == 401 and anon.json == {"error": "log in first", "code": 530}, anon
        alice = WebClient(j.web_port)
        alice.login("alice", "alice-pw")
        h = {"Cookie": alice.cookie_header()}
        a = StreamReader(j.web_port, "/stream.opus", headers=h)
        b = StreamReader(j.web_port, "/stream.mp3", headers=h)
        try:
            assert a.status == 200 and b.status == 200
            full = alice.get("/stream.opus")
            assert full.status == 503, full
            assert full.header("Retry-After") == "30", full
            assert full.json == {"error": "the audio stream has its 2 listeners "
                                          "(web_stream_listeners): try again later"}, full
            # The stream's own login is the guest's by default: the
            # operator is told what to set.
            wait_for(lambda: "disorderd refused the login as guest (web_stream_login)"
                     in j.web.log_text(), "the stream's refused login in the log")
        finally:
            a.close()
            b.close()
        # A place comes free when a listener leaves.
        def admitted():
            r = StreamReader(j.web_port, "/stream.opus", headers=h)
            ok = r.status == 200
            r.close()
            return ok
        wait_for(admitted, "a free place")


if __name__ == "__main__":
    run_tests()
