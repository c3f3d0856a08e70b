#!/usr/bin/env python3
"""RTP request mode and RTCP sender reports, as listeners hear them: a server
with `api rtp` and `rtp_mode request` plays a generated tone; listeners
(UDP sockets on 127.0.0.1, each with its own logged-in protocol connection)
ask for a stream with rtp-request and get one until they send rtp-cancel or
close their connection.  A listener that asks with the options `frames rtcp`
(as our disorder-playrtp does) gets frame-counted timestamps and RTCP sender
reports on port+1, whose NTP and RTP timestamps must agree with the wall
clock and with the data packets; one that asks with ADDRESS PORT alone (as
DisOrder's does) gets sample-counted timestamps and nothing on port+1.  In
broadcast mode, rtp_timestamps chooses the unit, and sender reports go to
the destination's port+1."""
import os
import signal
import socket
import struct
import threading
import time

from audio import RATE, Events, tone, write_wav
from harness import Server, closing, parent_pid, pids_named, run_tests, test, unheld_udp_ports
from rtp_wire import SO_TIMESTAMPNS, parse_rtp, recv_stamped, udp_pair

FRAMES_PER_PACKET = 360  # what fits a 1500-byte MTU over IPv6 (see disorder-speaker(8))
# How long after disorderd answers rtp-cancel or rtp-request a stream may
# still go where it went: disorderd answers at once and passes the change on
# to the speaker, whose control loop is an ordinary thread that a busy
# machine may hold up for a while.
SETTLE = 0.5


class Jukebox(Server):
    def __init__(self, mode="request", extra=(), broadcast_port=None):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        lines = [f"collection fs utf-8 {self.music}", "queue_pad 0", "api rtp", *extra]
        # Ports the stream and its reports go to that no test listens on
        # are held for the server's life: a test running beside this one
        # that bound them would get datagrams of a stream not its own.
        self.held = ()
        if mode == "request":
            lines.append("rtp_mode request")
        else:
            if not broadcast_port:
                self.held = udp_pair()
            port = broadcast_port or self.held[0].getsockname()[1]
            lines.append(f"broadcast 127.0.0.1 {port}")
        self.extra_config = "\n".join(lines) + "\n"
        self.write_config()

    def start(self):
        super().start()
        # A speaker held up by the machine's load for more than 20 ms
        # restarts its timeline, with a marker and a sender report.
        self.realtime_speaker()
        return self

    def cleanup(self):
        super().cleanup()
        for sock in self.held:
            sock.close()

    def add_track(self, name, seconds):
        path = os.path.join(self.music, name)
        write_wav(path, tone(440, seconds))
        return path

    def rescan(self):
        with closing(self.root()) as r:
            r.ok("rescan", "wait", "fresh")


def parse_rtcp(data):
    """A compound packet of an SR and an SDES (and perhaps a BYE), read from
    RFC 3550 alone: returns the SR's fields, the CNAME and whether a BYE came."""
    out, i, first = {"bye": False}, 0, True
    while i < len(data):
        b0, pt, length = struct.unpack(">BBH", data[i:i + 4])
        size = (length + 1) * 4
        assert b0 >> 6 == 2 and i + size <= len(data), data
        body = data[i + 4:i + size]
        if first:
            assert pt == 200 and b0 & 0x1f == 0, (pt, b0)  # an SR without report blocks
            ssrc, ntp_hi, ntp_lo, rtp_ts, packets, octets = struct.unpack(">IIIIII", body[:24])
            out.update(ssrc=ssrc, ntp=ntp_hi + ntp_lo / 2**32, rtp_ts=rtp_ts, packets=packets,
                       octets=octets)
        elif pt == 202:
            ssrc, item, n = struct.unpack(">IBB", body[:6])
            assert ssrc == out["ssrc"] and item == 1, (ssrc, item)  # CNAME
            out["cname"] = body[6:6 + n].decode()
            assert body[6 + n] == 0  # end of the item list
        elif pt == 203:
            out["bye"] = True
        first = False
        i += size
    assert i == len(data)
    return out


NTP_UNIX_OFFSET = 2208988800


class Listener:
    """A listener: RTP and RTCP sockets on host whose datagrams threads
    collect with their arrival times (monotonic and wall clock), and a
    protocol connection of its own (over TCP from tcp_from if given, else on
    the local socket; none without a server)."""

    def __init__(self, server, user="listener", password="pw", host="127.0.0.1", tcp_from=None):
        self.host = host
        self.rtp, self.rtcp = udp_pair(host)
        for sock in (self.rtp, self.rtcp):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.port = self.rtp.getsockname()[1]
        self.packets = []  # (monotonic, wall, parsed RTP)
        self.reports = []  # (monotonic, wall, parsed RTCP)
        self.strays = []  # datagrams that are neither: not from the stream
        self.cond = threading.Condition()
        self.stopping = False
        self.threads = [threading.Thread(target=self._receive, args=(s, f), daemon=True)
                        for s, f in ((self.rtp, parse_rtp), (self.rtcp, parse_rtcp))]
        for t in self.threads:
            t.start()
        if server is None:
            self.conn = None
        elif tcp_from:
            self.conn = server.connect(user, password, tcp=True, source=tcp_from)
        else:
            self.conn = server.connect(user, password)

    def _receive(self, sock, parse):
        # Arrival times are the kernel's (SO_TIMESTAMPNS), not when this
        # thread got round to reading: on a busy machine that can be many
        # milliseconds later, and the timing checks are about the sender.
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.settimeout(0.1)
        while not self.stopping:
            try:
                mono, wall, data = recv_stamped(sock)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                parsed = parse(data)
            except (AssertionError, struct.error, IndexError, UnicodeDecodeError):
                with self.cond:
                    self.strays.append(data)
                continue
            with self.cond:
                (self.packets if parse is parse_rtp else self.reports).append(
                    (mono, wall, parsed))
                self.cond.notify_all()

    def request(self, port=None, options=("frames", "rtcp")):
        """rtp-request, by default with the options our disorder-playrtp
        sends; options=() asks as DisOrder's listener does."""
        self.conn.ok("rtp-request", self.host, str(port or self.port), *options)

    def wait_packets(self, n, since=0.0, timeout=10, ssrc=None):
        """Waits until n packets (of the stream `ssrc` if given) arrived at
        or after monotonic time `since`."""
        deadline = time.monotonic() + timeout

        def count():
            return sum(1 for t, _, p in self.packets
                       if t >= since and (ssrc is None or p["ssrc"] == ssrc))
        with self.cond:
            while count() < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"port {self.port}: only {count()} of {n} packets "
                                         f"since {since}")
                self.cond.wait(left)

    def wait_reports(self, n, timeout=15, ssrc=None):
        deadline = time.monotonic() + timeout

        def count():
            return sum(1 for _, _, r in self.reports if ssrc is None or r["ssrc"] == ssrc)
        with self.cond:
            while count() < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"only {count()} of {n} RTCP reports")
                self.cond.wait(left)

    def stream_ssrc(self):
        """The SSRC of the stream: that of most of the data packets so far
        (a datagram of another test's stream may stray to this port, if
        that test sends to a port it does not hold)."""
        self.wait_packets(1)
        with self.cond:
            ssrcs = [p["ssrc"] for _, _, p in self.packets]
        return max(set(ssrcs), key=ssrcs.count)

    def last_packet_time(self):
        with self.cond:
            return self.packets[-1][0] if self.packets else None

    def drain(self):
        """Stops the threads and collects what is left in the sockets, so
        that nothing sent before now goes unseen, however slow the threads
        were to read it."""
        self.stopping = True
        for t in self.threads:
            t.join()
        for sock, parse in ((self.rtp, parse_rtp), (self.rtcp, parse_rtcp)):
            sock.setblocking(False)
            while True:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    break
                now = (time.monotonic(), time.time(), parse(data))
                with self.cond:
                    (self.packets if parse is parse_rtp else self.reports).append(now)

    def close(self):
        self.stopping = True
        for t in self.threads:
            t.join()
        self.rtp.close()
        self.rtcp.close()
        if self.conn:
            self.conn.close()


def by_seq(listener):
    with listener.cond:
        return {p["seq"]: p for _, _, p in listener.packets}


@test
def three_listeners_hear_one_stream_until_they_cancel_or_leave():
    with Jukebox() as s:
        track = s.add_track("long.wav", 6.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        a, b, c = Listener(s), Listener(s), Listener(s)
        moved = Listener(s)  # where b moves its stream to
        try:
            for x in (a, b, c):
                x.request()
            events = Events(s)
            with closing(s.root()) as r:
                r.ok("play", track)
            events.wait("playing", track)
            now = time.monotonic()
            for x in (a, b, c):
                x.wait_packets(50, since=now)

            # a cancels: its packets stop (a packet or two may have been
            # on the way already), while b and c go on.
            code, text, _ = a.conn.command("rtp-cancel")
            assert code == 250, (code, text)
            cancelled = time.monotonic()
            for x in (b, c):
                x.wait_packets(60, since=cancelled + SETTLE)
            assert a.last_packet_time() < cancelled + SETTLE, a.last_packet_time() - cancelled
            code, _, _ = a.conn.command("rtp-cancel")
            assert code == 550, code  # nothing left to cancel

            # c closes its connection: the same.
            c.conn.close()
            closed = time.monotonic()
            b.wait_packets(60, since=closed + SETTLE)
            assert c.last_packet_time() < closed + SETTLE, c.last_packet_time() - closed

            # A second request from b moves its stream rather than adding one.
            b.request(moved.port)
            requested = time.monotonic()
            moved.wait_packets(30, since=requested)
            last_b = b.last_packet_time()
            moved.wait_packets(60, since=requested)
            assert b.last_packet_time() == last_b < requested + SETTLE

            # One stream: the same SSRC everywhere, and any sequence number
            # that two listeners got carries the same timestamp and samples.
            packets = [by_seq(x) for x in (a, b, c, moved)]
            ssrcs = {p["ssrc"] for ps in packets for p in ps.values()}
            assert len(ssrcs) == 1, ssrcs
            for i, j in ((0, 1), (0, 2), (1, 2)):  # a, b and c heard the start together
                common = set(packets[i]) & set(packets[j])
                assert len(common) >= 40, (i, j, len(common))
                for seq in common:
                    assert packets[i][seq]["ts"] == packets[j][seq]["ts"]
                    assert packets[i][seq]["payload"] == packets[j][seq]["payload"]
            # The tone, not silence.
            assert any(any(p["payload"]) for p in packets[1].values())
            # b's old and new ports together have the stream without a gap.
            # (Sequence numbers start at random and may wrap meanwhile.)
            with b.cond:
                seq0 = b.packets[0][2]["seq"]
            seqs = sorted((seq - seq0) & 0xffff for seq in set(packets[1]) | set(packets[3]))
            missing = sorted(set(range(seqs[0], seqs[-1] + 1)) - set(seqs))
            assert not missing, f"a gap on moving: {missing} after {seq0}"
        finally:
            for x in (a, b, c, moved):
                x.close()


@test
def sender_reports_match_the_wall_clock_and_the_stream():
    with Jukebox() as s:
        track = s.add_track("long.wav", 7.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        x = Listener(s)
        try:
            x.request()
            with closing(s.root()) as r:
                r.ok("play", track)
            # One report at the start of the stream, the next about 1 s on.
            # Only the stream's packets and reports count (see stream_ssrc).
            x.wait_reports(2)
            ssrc = x.stream_ssrc()
            x.wait_reports(2, ssrc=ssrc)
            with x.cond:
                reports = [r for r in x.reports if r[2]["ssrc"] == ssrc]
            # The data packets it counts were all sent before it, but they
            # come in on another socket: wait for them to be read too.
            x.wait_packets(reports[1][2]["packets"], ssrc=ssrc)
            with x.cond:
                packets = [p for p in x.packets if p[2]["ssrc"] == ssrc]
            first_mono = packets[0][0]
            assert packets[0][2]["marker"]
            (m1, w1, r1), (m2, w2, r2) = reports[:2]
            assert m1 - first_mono < 0.1, m1 - first_mono
            # Sooner only when the stream restarted after a silence (the
            # decoder, not under real-time priority, fell behind on a busy
            # machine): a report follows the marked packet at once.
            restarts = [p[0] for p in packets[1:] if p[2]["marker"] and m1 < p[0] <= m2]
            assert 0.9 < m2 - m1 < 2.0 or (restarts and m2 - restarts[-1] < 0.1), \
                (m2 - m1, restarts)
            seq0 = packets[0][2]["seq"]
            ts0 = packets[0][2]["ts"]
            for mono, wall, r in reports[:2]:
                assert r["ssrc"] == ssrc, (r["ssrc"], ssrc)
                assert r["cname"], r
                assert not r["bye"]
                # The NTP time is the wall clock when it was sent.
                ntp_unix = r["ntp"] - NTP_UNIX_OFFSET
                assert abs(ntp_unix - wall) < 0.05, ntp_unix - wall
                # The counts are of the data packets sent before it (all of
                # which arrived, over loopback).
                sent = [p for _, _, p in packets if (p["seq"] - seq0) & 0xffff < r["packets"]]
                assert len(sent) == r["packets"], (len(sent), r["packets"])
                assert sum(len(p["payload"]) for p in sent) == r["octets"]
                # The RTP timestamp is the stream's at that instant.  The
                # data packets give the relation between timestamps and
                # the wall clock: the least delayed of those around then
                # (arrival minus the timestamp's time) is the sender's.
                near = [(w, p) for m, w, p in packets if abs(m - mono) < 1.0]
                offset = min(w - ((p["ts"] - ts0) & 0xffffffff) / RATE for w, p in near)
                expected = (ntp_unix - offset) * RATE
                got = (r["rtp_ts"] - ts0) & 0xffffffff
                assert abs(got - expected) < 2 * FRAMES_PER_PACKET, (got, expected)
            # The first report is right after the first packet: its RTP
            # time is within a packet of that packet's.
            assert abs(((r1["rtp_ts"] - ts0 + 2**31) & 0xffffffff) - 2**31) \
                < 2 * FRAMES_PER_PACKET, (r1["rtp_ts"], ts0)
            assert r1["packets"] == 1, r1
        finally:
            x.close()


def units_per_frame(listener):
    """What the timestamps of listener's packets count, from the packets
    themselves: the timestamp step between consecutive packets of one run
    (no marker) over the frames of audio (4 bytes each) that the first
    carried.  Every step must agree."""
    with listener.cond:
        packets = sorted((p for _, _, p in listener.packets), key=lambda p: p["seq"])
    steps = set()
    for a, b in zip(packets, packets[1:]):
        if (b["seq"] - a["seq"]) & 0xffff != 1 or b["marker"]:
            continue
        step = (b["ts"] - a["ts"]) & 0xffffffff
        frames = len(a["payload"]) // 4
        assert step % frames == 0, (step, frames)
        steps.add(step // frames)
    assert len(steps) == 1, f"timestamp steps of {steps} units a frame"
    return steps.pop()


def assert_report_near_its_packet(listener, report, units):
    """A sender report's RTP timestamp is in the stream's unit: within a
    packet or two of the timestamp of the data packet it followed (the
    report counts the packets sent before it)."""
    with listener.cond:
        first = listener.packets[0][2]
    assert first["marker"], first  # the listener heard the stream from its start
    packet = by_seq(listener)[(first["seq"] + report["packets"] - 1) & 0xffff]
    off = ((report["rtp_ts"] - packet["ts"] + 2**31) & 0xffffffff) - 2**31
    assert abs(off) < 2 * units * FRAMES_PER_PACKET, (off, report, packet["ts"])


@test
def each_listener_gets_the_timestamp_unit_it_understands_and_only_ours_gets_rtcp():
    with Jukebox() as s:
        track = s.add_track("long.wav", 4.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        ours, theirs = Listener(s), Listener(s)
        try:
            ours.request()                # frames rtcp, as our disorder-playrtp asks
            theirs.request(options=())    # ADDRESS PORT alone, as DisOrder's does
            events = Events(s)
            with closing(s.root()) as r:
                r.ok("play", track)
            events.wait("playing", track)
            for x in (ours, theirs):
                x.wait_packets(100)
            ours.wait_reports(1)
            ours.drain()
            theirs.drain()
            assert units_per_frame(ours) == 1       # frames (RFC 3551)
            assert units_per_frame(theirs) == 2     # samples of 2 channels (DisOrder 5.2)
            # One stream: the same packets but for their timestamps.
            a, b = by_seq(ours), by_seq(theirs)
            common = set(a) & set(b)
            assert len(common) >= 90, len(common)
            for seq in common:
                assert a[seq]["payload"] == b[seq]["payload"] and a[seq]["ssrc"] == b[seq]["ssrc"]
            assert_report_near_its_packet(ours, ours.reports[0][2], 1)
            # Nothing ever reached theirs' port+1, where a second DisOrder
            # listener might be.
            assert theirs.reports == [], theirs.reports
        finally:
            ours.close()
            theirs.close()


@test
def rtp_request_options_are_checked():
    with Jukebox() as s:
        s.add_user("listener", "pw", "read")
        with closing(s.connect("listener", "pw")) as c:
            for options in (("frames", "samples"), ("rtcp", "nonsense"), ("FRAMES",)):
                code, text, _ = c.command("rtp-request", "127.0.0.1", "9000", *options)
                assert code == 550, (options, code, text)
            code, text, _ = c.command("rtp-request", "127.0.0.1", "9000", "frames", "rtcp",
                                      "opus", "x")
            assert code == 500, (code, text)
            c.ok("rtp-request", "127.0.0.1", "9000", "samples", "rtcp")
            c.ok("rtp-request", "127.0.0.1", "9000", "rtcp", "frames")
            c.ok("rtp-request", "127.0.0.1", "9000")


@test
def a_broadcast_counts_in_rtp_timestamps_and_reports_on_port_plus_one():
    for unit, units in (("frames", 1), ("samples", 2)):
        x = Listener(None)
        try:
            with Jukebox(mode="broadcast", broadcast_port=x.port,
                         extra=[f"rtp_timestamps {unit}"]) as s:
                track = s.add_track("long.wav", 3.0)
                s.rescan()
                with closing(s.root()) as r:
                    r.ok("play", track)
                x.wait_packets(100)
                x.wait_reports(1)
                x.drain()
                assert units_per_frame(x) == units, unit
                report = x.reports[0][2]
                assert report["ssrc"] == x.packets[0][2]["ssrc"], report
                assert_report_near_its_packet(x, report, units)
        finally:
            x.close()


@test
def a_broadcast_listener_that_starts_late_gets_the_next_sender_report():
    # Nobody listens on port+1 when the first report goes (the host answers
    # "port unreachable"); a receiver that binds it then gets the next
    # report, 1 s after the first, not every other one.
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", unheld_udp_ports(2)))
    rtcp_port = rtp.getsockname()[1] + 1
    late = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with Jukebox(mode="broadcast", broadcast_port=rtp.getsockname()[1]) as s:
            track = s.add_track("long.wav", 7.0)
            s.rescan()
            with closing(s.root()) as r:
                r.ok("play", track)
            # The first report follows the first packet, at once.
            rtp.settimeout(10)
            rtp.recv(65536)
            first = time.monotonic()
            late.bind(("127.0.0.1", rtcp_port))
            late.settimeout(10)
            # On a busy machine the first report may go after the bind:
            # then it is this one, and the next follows.
            report = parse_rtcp(late.recv(65536))
            if report["packets"] == 1:
                report = parse_rtcp(late.recv(65536))
            assert time.monotonic() - first < 3.5, time.monotonic() - first
            assert report["packets"] > 1, report
    finally:
        rtp.close()
        late.close()


@test
def rtp_delay_threshold_decides_whether_a_stall_is_a_silence():
    # The speaker is stopped for 0.3 s while it plays: beyond the default
    # threshold (20 ms) the time lost is a silence, a marker and a jump in
    # the timestamps; within a threshold of a second it is caught up, the
    # stream running on without either.
    for threshold, silence in ((None, True), (44100, False)):
        x = Listener(None)
        try:
            extra = [f"rtp_delay_threshold {threshold}"] if threshold else []
            with Jukebox(mode="broadcast", broadcast_port=x.port, extra=extra) as s:
                track = s.add_track("long.wav", 3.0)
                s.rescan()
                with closing(s.root()) as r:
                    r.ok("play", track)
                x.wait_packets(30)
                speakers = [p for p in pids_named("disorder-speaker")
                            if parent_pid(p) == s.proc.pid]
                assert len(speakers) == 1, speakers
                os.kill(speakers[0], signal.SIGSTOP)
                try:
                    time.sleep(0.3)  # the stall itself, not a wait for anything
                finally:
                    os.kill(speakers[0], signal.SIGCONT)
                x.wait_packets(60, since=time.monotonic())
                x.drain()
                with x.cond:
                    packets = [p for _, _, p in x.packets]
                seq0 = packets[0]["seq"]
                packets.sort(key=lambda p: (p["seq"] - seq0) & 0xffff)
                jumps = []
                for a, b in zip(packets, packets[1:]):
                    assert (b["seq"] - a["seq"]) & 0xffff == 1, "a packet was lost on loopback"
                    step = (b["ts"] - a["ts"]) & 0xffffffff
                    if b["marker"] or step != len(a["payload"]) // 4:
                        jumps.append((b["marker"], step - len(a["payload"]) // 4))
                if silence:
                    # At least the stall: marked, and about 0.3 s of time.
                    assert any(m and gap > 0.2 * RATE for m, gap in jumps), jumps
                else:
                    assert jumps == [], jumps
        finally:
            x.close()


@test
def a_restarted_speaker_streams_to_the_listeners_again():
    with Jukebox() as s:
        track = s.add_track("long.wav", 4.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        x = Listener(s)
        try:
            x.request()
            events = Events(s)
            with closing(s.root()) as r:
                r.ok("play", track)
            events.wait("playing", track)
            x.wait_packets(20)
            old_ssrc = x.packets[0][2]["ssrc"]
            speakers = [p for p in pids_named("disorder-speaker") if parent_pid(p) == s.proc.pid]
            assert len(speakers) == 1, speakers
            os.kill(speakers[0], signal.SIGKILL)
            killed = time.monotonic()
            # The interrupted track plays again from its start, to the same
            # listener, from a new speaker (a new SSRC).
            x.wait_packets(50, since=killed + 0.2)
            with x.cond:
                after = [p for m, _, p in x.packets if m > killed + 0.2]
            assert {p["ssrc"] for p in after} != {old_ssrc}, "no new stream"
        finally:
            x.close()


@test
def rtp_request_refusals():
    with Jukebox() as s:
        s.add_user("listener", "pw", "read")
        s.add_user("norights", "pw", "play")
        with closing(s.connect()) as anon:
            assert anon.command("rtp-request", "127.0.0.1", "9000")[0] == 530
            # rtp-address: no login needed; "- -" in request mode.
            code, text, _ = anon.command("rtp-address")
            assert (code, text) == (252, "- -"), (code, text)
        with closing(s.connect("norights", "pw")) as c:
            assert c.command("rtp-request", "127.0.0.1", "9000")[0] == 510
        with closing(s.connect("listener", "pw")) as c:
            assert c.command("rtp-cancel")[0] == 550
            for address, port in (("localhost", "9000"),  # names are not resolved
                                  ("127.0.0.1", "0"), ("127.0.0.1", "65536"),
                                  ("127.0.0.1", "x"), ("", "9000"), ("0.0.0.0", "9000"),
                                  ("239.1.2.3", "9000"), ("255.255.255.255", "9000"),
                                  ("ff02::1", "9000"), ("::", "9000")):
                code, text, _ = c.command("rtp-request", address, port)
                assert code == 550, (address, port, code, text)
            c.ok("rtp-request", "::1", "9000")
            c.ok("rtp-request", "127.0.0.1", "9000")  # replaces it
            c.ok("rtp-cancel")
            assert c.command("rtp-cancel")[0] == 550
    # Not in request mode: broadcasting to a fixed address.
    with Jukebox(mode="broadcast") as s:
        s.add_user("listener", "pw", "read")
        with closing(s.connect("listener", "pw")) as c:
            code, text, _ = c.command("rtp-request", "127.0.0.1", "9000")
            assert code == 550, (code, text)
            assert c.command("rtp-cancel")[0] == 550


def refused_request(conn, address, why):
    code, text, _ = conn.command("rtp-request", address, "9000")
    assert code == 550 and why in text, (address, code, text)


@test
def a_stream_goes_only_to_the_requester_itself():
    with Jukebox() as s:
        track = s.add_track("long.wav", 4.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        # On the local socket: this host's addresses, not a third party.
        with closing(s.connect("listener", "pw")) as c:
            for other in ("192.0.2.7", "198.51.100.1", "2001:db8::1"):
                refused_request(c, other, "may only go to this host's own addresses")
            c.ok("rtp-request", "127.0.0.2", "9000")
            c.ok("rtp-request", "::1", "9000")
            c.ok("rtp-cancel")
        # Over TCP from 127.0.0.3: that address only, not even the server's
        # own loopback address.
        x = Listener(s, host="127.0.0.3", tcp_from="127.0.0.3")
        try:
            for other in ("127.0.0.1", "127.0.0.4", "192.0.2.7", "::1"):
                refused_request(x.conn, other, "may only go to the address you are connected from")
            x.request()
            with closing(s.root()) as r:
                r.ok("play", track)
            x.wait_packets(20)
        finally:
            x.close()


@test
def rtp_request_allow_permits_listed_networks():
    with Jukebox(extra=["rtp_request_allow 127.0.0.4/30 2001:db8::/32"]) as s:
        track = s.add_track("long.wav", 4.0)
        s.rescan()
        s.add_user("listener", "pw", "read")
        # From 127.0.0.3 to 127.0.0.5, which the list holds.
        x = Listener(s, host="127.0.0.5", tcp_from="127.0.0.3")
        try:
            for other in ("127.0.0.8", "127.0.0.1", "192.0.2.7"):
                refused_request(x.conn, other, "rtp_request_allow does not include " + other)
            x.request()
            with closing(s.root()) as r:
                r.ok("play", track)
            x.wait_packets(20)
        finally:
            x.close()
    with Jukebox(extra=["rtp_request_allow any"]) as s:
        s.add_user("listener", "pw", "read")
        with closing(s.connect("listener", "pw", tcp=True, source="127.0.0.3")) as c:
            c.ok("rtp-request", "192.0.2.7", "9000")
            c.ok("rtp-cancel")
            # Any unicast address, that is: still not a group.
            refused_request(c, "239.1.2.3", "not a unicast address")

run_tests()
