#!/usr/bin/env python3
"""The sender's side of synchronised playout (disorder_protocol(5),
"Synchronised playout"), as a listener on this host sees it: a server with
`api rtp` plays a generated tone; the test stands for the listeners.

- Every RTCP sender report carries a SyncTimeline APP packet whose sender_ns
  is CLOCK_MONOTONIC (this host's: the test runs beside the server) of the
  instant of the report's RTP timestamp, and whose latency is rtp_latency.
- Clock requests sent to the address the reports come from are answered
  with t1 echoed and t2 <= t3 within the test's own t1..t4; garbage,
  oversized, short and malformed packets are not answered and do not stop
  the service; answers are never more, nor larger, than the requests.
- A receiver report with a SyncReport sent there shows in rtp-listeners
  (the protocol command and `disorder rtp-listeners`) with its figures,
  and is forgotten 30 s after the last one."""
import json
import os
import select
import socket
import struct
import time

from audio import RATE, Events, tone, write_wav
from harness import Server, closing, run_tests, split, test, wait_for
from rtp_wire import parse_rtp, udp_pair

LATENCY_MS = 80
FRAMES_PER_PACKET = 360


class Jukebox(Server):
    def __init__(self, mode):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        lines = [f"collection fs utf-8 {self.music}", "queue_pad 0", "api rtp",
                 f"rtp_latency {LATENCY_MS}"]
        self.rtp, self.rtcp = udp_pair(rcvbuf=4 << 20)
        self.port = None
        if mode == "request":
            lines.append("rtp_mode request")
        else:
            lines.append(f"broadcast 127.0.0.1 {self.rtp.getsockname()[1]}")
        self.extra_config = "\n".join(lines) + "\n"
        self.write_config()

    def start(self):
        super().start()
        self.realtime_speaker()
        return self

    def play_tone(self, seconds):
        path = os.path.join(self.music, "tone.wav")
        write_wav(path, tone(440, seconds))
        with closing(self.root()) as r:
            r.ok("rescan", "wait", "fresh")
            events = Events(self)
            r.ok("play", path)
            events.wait("playing", path)

    def cleanup(self):
        super().cleanup()
        self.rtp.close()
        self.rtcp.close()


# ------------------------------------------------------------- wire formats

def parse_sender_compound(data):
    """An SR compound, from RFC 3550 and disorder_protocol(5) alone: the SR's
    fields and the SyncTimeline (sender_ns, latency_us, flags)."""
    out, i = {"timeline": None, "bye": False}, 0
    while i < len(data):
        b0, pt, length = struct.unpack(">BBH", data[i:i + 4])
        size = (length + 1) * 4
        assert b0 >> 6 == 2 and i + size <= len(data), data
        body = data[i + 4:i + size]
        if i == 0:
            assert pt == 200, pt
            ssrc, _, _, rtp_ts, packets, _ = struct.unpack(">IIIIII", body[:24])
            out.update(ssrc=ssrc, rtp_ts=rtp_ts, packets=packets)
        elif pt == 204 and body[4:8] == b"DSYN" and b0 & 0x1f == 0:
            assert size == 28, size
            ssrc, = struct.unpack(">I", body[:4])
            assert ssrc == out["ssrc"]
            sender_ns, latency_us, flags = struct.unpack(">qII", body[8:24])
            out["timeline"] = {"sender_ns": sender_ns, "latency_us": latency_us, "flags": flags}
        elif pt == 203:
            out["bye"] = True
        i += size
    assert i == len(data)
    return out


def time_request(t1):
    return struct.pack(">4sBBHqqq", b"DSYN", 1, 1, 0, t1, 0, 0)


def parse_time_answer(data):
    assert len(data) == 32, len(data)
    magic, kind, version, zero, t1, t2, t3 = struct.unpack(">4sBBHqqq", data)
    assert (magic, kind, version) == (b"DSYN", 2, 1), (magic, kind, version)
    return t1, t2, t3


def receiver_report(reporter, sender_ssrc, cname, fraction=0, lost=0, highest=0, jitter=0,
                    sync=None):
    """RR with one report block, SDES CNAME and (if sync, a dict) a DSYN
    SyncReport APP packet, field by field (RFC 3550 6.4.2, 6.5, 6.7;
    disorder_protocol(5))."""
    block = struct.pack(">IIIIII", sender_ssrc, (fraction << 24) | (lost & 0xffffff), highest,
                        jitter, 0, 0)
    rr = struct.pack(">BBHI", 0x80 | 1, 201, (8 + len(block)) // 4 - 1, reporter) + block
    item = struct.pack(">BB", 1, len(cname)) + cname.encode()
    chunk = struct.pack(">I", reporter) + item + b"\0"
    chunk += b"\0" * (-len(chunk) % 4)
    sdes = struct.pack(">BBH", 0x80 | 1, 202, (4 + len(chunk)) // 4 - 1) + chunk
    packet = rr + sdes
    if sync is not None:
        data = struct.pack(">IIiiIIII", sync["flags"], sync["uncertainty_ns"], sync["error_ns"],
                           sync["drift_ppb"], sync["buffer_us"], sync["latency_us"],
                           sync["concealed"], sync["output_delay_us"])
        packet += struct.pack(">BBHI4s", 0x80 | 1, 204, (12 + len(data)) // 4 - 1, reporter,
                              b"DSYN") + data
    return packet


# ---------------------------------------------------------------- receiving

def collect(s, seconds_of_packets, reports_wanted, timeout=20):
    """Reads the jukebox's RTP and RTCP sockets until reports_wanted sender
    reports and enough data packets have come; returns (packets, reports)
    where each is (monotonic arrival, parsed) and each report also has
    its source address."""
    packets, reports = [], []
    deadline = time.monotonic() + timeout
    while len(reports) < reports_wanted or len(packets) < seconds_of_packets * RATE / 365:
        left = deadline - time.monotonic()
        assert left > 0, f"{len(packets)} packets and {len(reports)} reports"
        ready, _, _ = select.select([s.rtp, s.rtcp], [], [], left)
        for sock in ready:
            data, source = sock.recvfrom(65536)
            now = time.monotonic()
            if sock is s.rtp:
                packets.append((now, parse_rtp(data)))
            else:
                report = parse_sender_compound(data)
                report["source"] = source
                reports.append((now, report))
    return packets, reports


def check_timeline(packets, report):
    """The SR's sender_ns is CLOCK_MONOTONIC at its RTP timestamp's instant
    on the stream's schedule.  The schedule comes from the data packets:
    each leaves at its timestamp's instant, so the least delayed arrival
    over loopback, less its timestamp's time, is the schedule's origin
    (within a few tens of microseconds)."""
    timeline = report["timeline"]
    assert timeline is not None, report
    assert timeline["latency_us"] == LATENCY_MS * 1000, timeline
    assert timeline["flags"] == 0, timeline
    sender = timeline["sender_ns"] / 1e9
    # The packets of the same run (no marker since) near the report.
    near = [(t, p) for t, p in packets if abs(t - sender) < 1.0]
    assert len(near) > 20, len(near)
    ts0 = near[0][1]["ts"]

    def since(ts):
        return ((ts - ts0 + 2**31) & 0xffffffff) - 2**31
    origin = min(t - since(p["ts"]) / RATE for t, p in near)
    expected = origin + since(report["rtp_ts"]) / RATE
    # Now and then a loaded machine delays every packet near the report:
    # the origin is then late by that much, never early.
    assert -0.005 < sender - expected < 0.005, (sender - expected)


class TimeClient:
    """A listener's clock exchange, from a socket of its own."""

    def __init__(self, server_address):
        self.to = server_address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, data):
        self.sock.sendto(data, self.to)

    def receive(self, timeout=5):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        assert ready, "no answer to a clock request"
        data, source = self.sock.recvfrom(65536)
        assert source == self.to, (source, self.to)
        return data

    def exchange(self):
        t1 = time.monotonic_ns()
        self.send(time_request(t1))
        data = self.receive()
        t4 = time.monotonic_ns()
        a1, t2, t3 = parse_time_answer(data)
        assert a1 == t1, (a1, t1)
        # One host, one clock: the server's instants lie within ours.
        assert t1 <= t2 <= t3 <= t4, (t1, t2, t3, t4)
        return t1, t2, t3, t4

    def close(self):
        self.sock.close()


# -------------------------------------------------------------------- tests

@test
def sender_reports_carry_the_timeline_on_this_hosts_monotonic_clock():
    with Jukebox("broadcast") as s:
        s.play_tone(7.0)
        packets, reports = collect(s, 6, 2)
        for _, report in reports:
            check_timeline(packets, report)
        # Every report comes from one address: where clock requests go.
        assert len({r["source"] for _, r in reports}) == 1, reports


@test
def clock_requests_are_answered_and_garbage_is_not():
    with Jukebox("broadcast") as s:
        s.play_tone(3.0)
        _, reports = collect(s, 0, 1)
        client = TimeClient(reports[0][1]["source"])
        try:
            for _ in range(20):
                t1, t2, t3, t4 = client.exchange()
            # Not answered: too short, too long, the wrong type or version,
            # garbage, a malformed RTCP packet, an oversized datagram.
            good = time_request(1)
            for bad in (good[:31], good + b"\0", good[:4] + b"\x02" + good[5:],
                        good[:5] + b"\x02" + good[6:], b"\xff" * 32, os.urandom(100),
                        b"\x81\xc9\x00\x07" + os.urandom(10), b"DSYN" + b"\0" * 3000,
                        b"\0" * 1600):
                client.send(bad)
            # A flood: the service reads and drops it.
            for _ in range(2000):
                client.send(os.urandom(64))
            # What comes back first answers a good request: nothing answered
            # the garbage.  (The flood may have filled the socket's buffer
            # on a busy machine, losing a request, as UDP may: ask again.)
            asked = set()
            deadline = time.monotonic() + 20
            while True:
                asked.add(time.monotonic_ns())
                client.send(time_request(max(asked)))
                ready, _, _ = select.select([client.sock], [], [], 1)
                if ready:
                    break
                assert time.monotonic() < deadline, "no answer to a clock request after a flood"
            a1, _, _ = parse_time_answer(client.receive())
            assert a1 in asked, (a1, sorted(asked))
            # No amplification: n requests, at most n answers of 32 bytes.
            for i in range(50):
                client.send(time_request(1000 + i))
            answered = set()
            deadline = time.monotonic() + 10
            while len(answered) < 50 and time.monotonic() < deadline:
                a1 = parse_time_answer(client.receive())[0]
                if a1 not in asked:  # a late answer to an attempt above
                    answered.add(a1)
            assert answered == set(range(1000, 1050)), sorted(answered)
            client.sock.setblocking(False)
            try:
                while True:
                    extra = client.sock.recv(65536)
                    if parse_time_answer(extra)[0] not in asked:
                        raise AssertionError(f"an answer too many: {extra!r}")
            except BlockingIOError:
                pass
        finally:
            client.close()


def listeners(c):
    """rtp-listeners as {(address, cname): {key: value}}."""
    code, text, lines = c.command("rtp-listeners")
    assert code == 253, (code, text)
    out = {}
    for line in lines:
        f = split(line)
        assert len(f) % 2 == 0, f
        out[(f[0], f[1])] = dict(zip(f[2::2], f[3::2]))
    return out


SYNC = {"flags": 1, "uncertainty_ns": 40_000, "error_ns": -250_000, "drift_ppb": -12_345,
        "buffer_us": 95_000, "latency_us": LATENCY_MS * 1000, "concealed": 7,
        "output_delay_us": 12_000}


@test
def listener_reports_show_in_rtp_listeners_until_they_stop():
    with Jukebox("broadcast") as s:
        s.play_tone(2.0)
        _, reports = collect(s, 0, 1)
        sender = reports[0][1]["source"]
        ssrc = reports[0][1]["ssrc"]
        # The listener reports from its RTCP port, as disorder-playrtp does.
        me = "127.0.0.1:%d" % s.rtcp.getsockname()[1]
        s.add_user("watcher", "pw", "read")
        with closing(s.connect("watcher", "pw")) as c:
            # About another stream, or from an SR: ignored.
            s.rtcp.sendto(receiver_report(0x1234, ssrc ^ 1, "other@elsewhere", sync=SYNC), sender)
            # Two reports in a row: the later one wins, within about a second.
            s.rtcp.sendto(receiver_report(0x1234, ssrc, "ear@kitchen", fraction=64, lost=3,
                                          highest=70_000, jitter=441,
                                          sync=dict(SYNC, concealed=1)), sender)
            s.rtcp.sendto(receiver_report(0x1234, ssrc, "ear@kitchen", fraction=64, lost=3,
                                          highest=70_000, jitter=441, sync=SYNC), sender)
            # Still answering clock requests meanwhile.
            client = TimeClient(sender)
            client.exchange()
            client.close()
            got = wait_for(lambda: (listeners(c).get((me, "ear@kitchen"), {}).get("concealed")
                                    == "7") and listeners(c), "the listener's report")
            assert set(got) == {(me, "ear@kitchen")}, got
            figures = got[(me, "ear@kitchen")]
            assert int(figures.pop("age")) in (0, 1, 2), figures
            assert figures == {"synchronised": "yes", "loss": "25.00", "jitter": "10.000",
                               "error": "-0.250", "uncertainty": "0.040", "drift": "-12.345",
                               "buffer": "95.0", "latency": "%.1f" % LATENCY_MS,
                               "concealed": "7", "output-delay": "12.0"}, figures

            # The loss counts from the first report: 10 of 1000 since.
            s.rtcp.sendto(receiver_report(0x1234, ssrc, "ear@kitchen", fraction=3, lost=13,
                                          highest=71_000, jitter=882), sender)
            got = wait_for(lambda: listeners(c)[(me, "ear@kitchen")].get("loss") == "1.00"
                           and listeners(c), "the second report")
            figures = got[(me, "ear@kitchen")]
            # No SyncReport this time: not synchronised, no sync figures.
            assert figures["synchronised"] == "no" and figures["jitter"] == "20.000", figures
            assert "error" not in figures, figures

            # The CLI's table.
            out = s.cli("rtp-listeners", user="watcher", password="pw").stdout
            rows = out.splitlines()
            assert rows[0].split()[:3] == ["ADDRESS", "CNAME", "SYNC"], out
            assert rows[1].split()[:3] == [me, "ear@kitchen", "no"], out
            assert "1.00" in rows[1].split() and "20.000" in rows[1].split(), out
            # And as JSON: one object a listener, every key.
            out = s.cli("--json", "rtp-listeners", user="watcher", password="pw").stdout
            objects = [json.loads(line) for line in out.splitlines()]
            assert len(objects) == 1 and objects[0]["address"] == me, out
            assert objects[0]["cname"] == "ear@kitchen" and objects[0]["loss"] == "1.00", out

            # Silent for 30 s: forgotten.
            wait_for(lambda: listeners(c) == {}, "the listener to be forgotten", timeout=45)
            out = s.cli("rtp-listeners", user="watcher", password="pw").stdout
            assert out == "No RTP listener has reported.\n", out


@test
def request_mode_reports_come_from_the_rtp_socket_which_answers_clock_requests():
    with Jukebox("request") as s:
        s.add_user("listener", "pw", "read")
        with closing(s.connect("listener", "pw")) as c:
            c.ok("rtp-request", "127.0.0.1", str(s.rtp.getsockname()[1]), "frames", "rtcp")
            s.play_tone(7.0)
            packets, reports = collect(s, 6, 2)
            for _, report in reports:
                check_timeline(packets, report)
            sender = reports[0][1]["source"]
            client = TimeClient(sender)
            try:
                for _ in range(5):
                    client.exchange()
            finally:
                client.close()
            # The listener's report, as before; jitter in frames.
            s.rtcp.sendto(receiver_report(0x99, reports[0][1]["ssrc"], "ear@hall",
                                          highest=5, jitter=4410, sync=SYNC), sender)
            me = "127.0.0.1:%d" % s.rtcp.getsockname()[1]
            got = wait_for(lambda: listeners(c).get((me, "ear@hall")), "the listener's report")
            assert got["jitter"] == "100.000" and got["error"] == "-0.250", got


run_tests()
