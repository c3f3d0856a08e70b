#!/usr/bin/env python3
"""What the tests of synchronised playout by disorder-playrtp share
(playrtp_sync_test.py, playrtp_opus_test.py): a SyncSender standing for
disorder-speaker (RTP with sender reports that carry a SyncTimeline, the
clock exchange's answers, the listener's reports collected), sending a
signal whose every frame carries its position or, for Opus, packets it is
given; a Listener whose command is a recorder that stamps each read; and
PlayrtpProcess, what it and playrtp_harness.Listener share."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from harness import BUILDDIR, SINK_PRIORITY, standing_in, terminate, wait_for

PLAYRTP = os.path.join(BUILDDIR, "clients", "disorder-playrtp")
RATE = 44100
PACKET = 365  # frames per packet, as disorder-speaker sends
SR_INTERVAL = 1.0

# Stamps each read and keeps everything in memory until its input ends, so
# that no file write delays the next read.
RECORDER = r'''
import os, struct, sys, time
chunks, stamps, total = [], [], 0
while True:
    data = os.read(0, 1 << 16)
    t = time.monotonic_ns()
    if not data:
        break
    stamps.append(struct.pack("<qq", t, total))
    chunks.append(data)
    total += len(data)
with open(sys.argv[1], "wb") as f:
    f.write(b"".join(chunks))
with open(sys.argv[2], "wb") as f:
    f.write(b"".join(stamps))
'''


def frame(position):
    """Frame `position` of the signal: its position, never zero, so that
    the output says which position each frame played."""
    return struct.pack(">hh", position % 30000 + 1, position // 30000 + 1)


def position_of(data, k):
    """The position that output frame k carries (None for silence)."""
    left, right = struct.unpack("<hh", data[4 * k:4 * k + 4])
    if left == 0 and right == 0:
        return None
    return (right - 1) * 30000 + (left - 1)


def free_port_pair():
    """A UDP port whose port+1 is free too, on loopback."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port >= 65535:
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as t:
                    t.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no free pair of UDP ports")


class SyncSender:
    """RTP with sender reports that carry a SyncTimeline; the clock
    exchange's answers; the listener's reports collected.  Its clock reads
    CLOCK_MONOTONIC + offset_ns.  payloads: the packets to send, each of
    `packet` frames at `rate` (Opus: 960 at 48000), with payload_type;
    else L16 frames of the position signal."""

    def __init__(self, port, seconds, latency_ms=150, timeline=True, offset_ns=7_123_456_789,
                 ssrc=0x51c0ffee, timestamp=0xffffffff - 20000, outage=None, rate=RATE,
                 packet=PACKET, payloads=None, payload_type=10):
        self.dest = ("127.0.0.1", port)
        self.rtcp_dest = ("127.0.0.1", port + 1)
        self.rate = rate
        self.packet = packet
        self.payloads = payloads
        self.payload_type = payload_type
        self.frames = len(payloads) * packet if payloads else int(seconds * rate)
        self.latency_us = latency_ms * 1000
        self.timeline = timeline
        self.offset_ns = offset_ns
        self.ssrc = ssrc
        self.timestamp0 = timestamp
        # (from, to) in seconds of the stream: its packets are lost on the way.
        self.outage = outage
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp.bind(("127.0.0.1", 0))
        self.start_ns = None  # our clock at frame 0
        self.answered = 0
        self.reports = []  # (source, cname, block, sync report)
        self.packets = 0
        self.octets = 0
        self.server = threading.Thread(target=self._serve, daemon=True)
        self.server.start()

    def clock(self):
        return time.monotonic_ns() + self.offset_ns

    def frame_instant(self, position):
        """Our CLOCK_MONOTONIC when the sender's timeline is at `position`."""
        return self.start_ns + position * 1_000_000_000 // self.rate

    def _sr(self, position):
        """SR + SDES CNAME (+ SyncTimeline APP) for the instant of `position`."""
        ntp = int((time.time() + 2208988800) * (1 << 32))
        ts = (self.timestamp0 + position) & 0xffffffff
        sr = struct.pack(">BBHIIIIII", 0x80, 200, 6, self.ssrc, ntp >> 32, ntp & 0xffffffff, ts,
                         self.packets, self.octets)
        cname = b"sender@test"
        chunk = struct.pack(">IBB", self.ssrc, 1, len(cname)) + cname + b"\0"
        chunk += b"\0" * (-len(chunk) % 4)
        sdes = struct.pack(">BBH", 0x81, 202, len(chunk) // 4) + chunk
        out = sr + sdes
        if self.timeline:
            sender_ns = self.frame_instant(position) + self.offset_ns
            out += struct.pack(">BBHI4sqII", 0x80, 204, 6, self.ssrc, b"DSYN", sender_ns,
                               self.latency_us, 0)
        return out

    def _serve(self):
        while True:
            try:
                data, source = self.rtcp.recvfrom(2048)
            except OSError:
                return
            t2 = self.clock()
            if data[:4] == b"DSYN":
                if len(data) != 32 or data[4] != 1:
                    continue
                t1 = struct.unpack(">q", data[8:16])[0]
                answer = b"DSYN" + bytes([2, 1, 0, 0]) + struct.pack(">qqq", t1, t2, self.clock())
                self.rtcp.sendto(answer, source)
                self.answered += 1
            elif len(data) >= 8 and data[1] == 201:
                self.reports.append((source, *parse_receiver_report(data)))

    def run(self):
        with standing_in():
            self.start_ns = time.monotonic_ns() + 20_000_000
            next_sr = 0
            for first in range(0, self.frames, self.packet):
                n = min(self.packet, self.frames - first)
                due = self.frame_instant(first)
                delay = (due - time.monotonic_ns()) / 1e9
                if delay > 0:
                    time.sleep(delay)
                ts = (self.timestamp0 + first) & 0xffffffff
                header = struct.pack(">BBHII", 0x80,
                                     (0x80 if first == 0 else 0) | self.payload_type,
                                     (1000 + self.packets) & 0xffff, ts, self.ssrc)
                if self.payloads:
                    payload = self.payloads[first // self.packet]
                else:
                    payload = b"".join(frame(p) for p in range(first, first + n))
                if not self.outage or \
                        not self.outage[0] * self.rate <= first < self.outage[1] * self.rate:
                    self.rtp.sendto(header + payload, self.dest)
                self.packets += 1
                self.octets += len(payload)
                if first >= next_sr:
                    # The SR's instant: now, as the sender's pacing clock has it.
                    position = first + (time.monotonic_ns() - due) * self.rate // 1_000_000_000
                    self.rtcp.sendto(self._sr(position), self.rtcp_dest)
                    next_sr = first + int(SR_INTERVAL * self.rate)

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.start_ns is not None, "the sender to start")

    def close(self):
        self.rtp.close()
        self.rtcp.close()


def parse_receiver_report(data):
    """(cname, report block or None, sync report dict or None) of an RR compound."""
    cname, block, report = None, None, None
    i = 0
    while i + 4 <= len(data):
        first, pt, length = struct.unpack(">BBH", data[i:i + 4])
        body = data[i + 4:i + 4 + 4 * length]
        if pt == 201 and (first & 0x1f) >= 1:
            ssrc, lost_word, highest, jitter, lsr, dlsr = struct.unpack(">IIIIII", body[4:28])
            block = {"ssrc": ssrc, "fraction": lost_word >> 24, "lost": lost_word & 0xffffff,
                     "highest": highest, "jitter": jitter, "lsr": lsr, "dlsr": dlsr}
        elif pt == 202:
            n = body[5]
            cname = body[6:6 + n].decode()
        elif pt == 204 and body[4:8] == b"DSYN" and (first & 0x1f) == 1:
            v = struct.unpack(">IIiiIIII", body[8:40])
            report = dict(zip(("flags", "uncertainty_ns", "error_ns", "drift_ppb", "buffer_us",
                               "latency_us", "concealed", "output_delay_us"), v))
        i += 4 + 4 * length
    return cname, block, report


def ordinary_priority():
    """As a subprocess preexec_fn: the program under test runs as it would
    anywhere, even when started from a thread standing in (standing_in)."""
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


class PlayrtpProcess:
    """disorder-playrtp with no user configuration, its standard error kept
    line by line (self.lines; on_line for each as it comes), and a
    directory of its own, self.dir, which the subclass makes before
    starting it and close() removes."""

    def __init__(self, args, env_extra=None):
        env = dict(os.environ)
        env["DISORDER_USERCONFIG"] = os.path.join(self.dir, "no-such-passwd")
        env.pop("DISORDER_HOME", None)
        env.update(env_extra or {})
        self.lines = []
        self.proc = subprocess.Popen([PLAYRTP, *args], stderr=subprocess.PIPE, text=True, env=env,
                                     preexec_fn=ordinary_priority)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.lines.append(line)
            self.on_line(line)

    def on_line(self, line):
        pass

    def log(self):
        return "\n".join(self.lines)

    def stop(self):
        terminate(self.proc, "disorder-playrtp")
        self.reader.join(5)
        assert self.proc.returncode == 0, f"exit status {self.proc.returncode}:\n{self.log()}"

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Listener(PlayrtpProcess):
    """disorder-playrtp on `port` with a recorder as its command."""

    def __init__(self, port, extra=(), address=None, config="/dev/null", where=None):
        self.dir = tempfile.mkdtemp(prefix="playrtp-sync-test-")
        self.out = os.path.join(self.dir, "out.raw")
        self.stamps = os.path.join(self.dir, "stamps")
        self.socket = os.path.join(self.dir, "control")
        recorder = os.path.join(self.dir, "recorder.py")
        with open(recorder, "w") as f:
            f.write(RECORDER)
        # Under SCHED_FIFO where allowed (root), like the sound card it
        # stands for (harness.SINK_PRIORITY): a busy machine then delays its
        # reads less.
        chrt = f"chrt -f {SINK_PRIORITY} " if os.geteuid() == 0 and shutil.which("chrt") else ""
        command = f"exec {chrt}{sys.executable} {recorder} {self.out} {self.stamps}"
        super().__init__(["--api", "command", "--command", command, "--pause-mode",
                                "suspend", "--config", config, "--socket", self.socket, *extra,
                                "--", *(where or ([address] if address else []) + [str(port)])])
        wait_for(lambda: os.path.exists(self.socket) or self.proc.poll() is not None,
                 "the control socket")
        assert self.proc.poll() is None, self.log()

    def ask(self, line):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.socket)
            s.sendall(line.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                more = s.recv(4096)
                if not more:
                    break
                reply += more
        return reply.decode().strip()

    def status(self):
        return dict(w.split("=", 1) for w in self.ask("status").split())

    def output(self):
        try:
            with open(self.out, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def reads(self):
        """(when, first output frame) of each read the recorder made."""
        try:
            with open(self.stamps, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return []
        return [(t, offset // 4) for t, offset in
                (struct.unpack("<qq", raw[i:i + 16]) for i in range(0, len(raw) - 15, 16))]

    def read_instants(self):
        """(when written, first output frame) of each read the recorder
        made.  A read's stamp is when the recorder got round to reading,
        which a busy machine can delay by milliseconds, never make early;
        so of the estimates that read and those in the 0.1 s after it give
        (a later read's stamp less the frames between, at the nominal rate:
        the listener writes at that rate, which its rate control moves by at
        most 0.1 ms in 0.1 s), the earliest counts."""
        reads = self.reads()
        out = []
        for i, (t, first) in enumerate(reads):
            best = t
            for later, frame in reads[i + 1:]:
                if frame > first + RATE // 10:
                    break
                best = min(best, later - (frame - first) * 1_000_000_000 // RATE)
            out.append((best, first))
        return out

    def write_instant(self, k):
        """When output frame k was written (see read_instants)."""
        holding = [(t, first) for t, first in self.read_instants() if first <= k]
        assert holding, f"no read holds frame {k}"
        t, first = holding[-1]
        return t + (k - first) * 1_000_000_000 // RATE

    def first_frame(self):
        """(when written, position) of the first frame of the signal, or None."""
        data = self.output()
        for k in range(len(data) // 4):
            p = position_of(data, k)
            if p is not None:
                return self.write_instant(k), p
        return None
