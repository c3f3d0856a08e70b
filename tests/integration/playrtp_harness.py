#!/usr/bin/env python3
"""What the tests of disorder-playrtp share (playrtp_test.py,
playrtp_opus_test.py): a Listener (the real program, its output written to a
file by the command backend, its --monitor reports parsed) and a UDP Relay
with a bad network inside, and an RtpJukebox (disorderd with the rtp
backend) that plays tracks to them."""
import array
import os
import socket
import struct
import tempfile
import threading

from audio import Events, write_wav
from harness import SINK_PRIORITY, Server, closing, stand_in_priority, wait_for
from impairment import Impairment
from playrtp_sync_harness import PlayrtpProcess


class Listener(PlayrtpProcess):
    """A disorder-playrtp whose output goes to a file, with its --monitor
    reports parsed as they arrive."""

    def __init__(self, *args, pause_mode="suspend", config="/dev/null", extra=(), alsa=False):
        self.dir = tempfile.mkdtemp(prefix="playrtp-test-")
        self.out = os.path.join(self.dir, "out.raw")
        self.stats = {}
        self.listening = False
        env = {}
        # cat stands for a sound card, which the machine's load does not
        # hold up: were it held up, the listener would rightly skip what it
        # could not play in time.  Real-time priority where the system
        # grants it (see harness.SINK_PRIORITY), else as it is.
        output = ["--api", "command", "--command",
                  f"if chrt -f {SINK_PRIORITY} true 2>/dev/null; "
                  f"then exec chrt -f {SINK_PRIORITY} cat > {self.out}; "
                  f"else exec cat > {self.out}; fi"]
        if alsa:
            # ALSA through a plugin that writes to a file and has no clock.
            conf = os.path.join(self.dir, "asound.conf")
            with open(conf, "w") as f:
                f.write('pcm.playrtptest {\n  type file\n  slave { pcm { type null } }\n'
                        f'  file "{self.out}"\n  format raw\n}}\n')
            env["ALSA_CONFIG_PATH"] = conf
            output = ["--api", "alsa", "--device", "playrtptest"]
        super().__init__([*output, "--pause-mode", pause_mode, "--monitor", "--config",
                                config, *extra, "--", *args], env)

    def on_line(self, line):
        if "listening on" in line:
            self.listening = True
        if ": monitor: " in line:
            words = line.split(": monitor: ", 1)[1].split()
            stats = {"state": words[0], "format": words[1]}
            stats.update(w.split("=", 1) for w in words[2:])
            self.stats = stats

    def wait_listening(self):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"disorder-playrtp exited {self.proc.returncode}:\n{self.log()}")
            return self.listening
        wait_for(up, "disorder-playrtp to listen")

    def wait_done(self, packets, timeout=15):
        """Until all `packets` have arrived and playout has finished.  The
        count must be the final one (see wait_read): a listener whose
        receiving thread lagged on a busy machine may be "waiting" for
        more in the middle of a stream."""
        def done():
            s = self.stats
            return s.get("state") in ("waiting", "idle") and int(s.get("packets", 0)) >= packets
        try:
            wait_for(done, f"{packets} packets played", timeout)
        except AssertionError:
            raise AssertionError(f"not played:\n{self.log()}")
        # The next report, so that its counts are the final ones.
        seen = len(self.lines)
        wait_for(lambda: len(self.lines) > seen, "another report", 5)

    def wait_read(self, port):
        """Until disorder-playrtp has read every datagram waiting for it on
        UDP `port` (its receiving thread may lag on a busy machine), and
        reported again: then the report's counts include them all."""
        def queued():
            total = 0
            for table in ("/proc/net/udp", "/proc/net/udp6"):
                with open(table) as f:
                    for line in f.readlines()[1:]:
                        words = line.split()
                        if int(words[1].rsplit(":", 1)[1], 16) == port:
                            total += int(words[4].split(":")[1], 16)
            return total
        wait_for(lambda: queued() == 0, f"disorder-playrtp to read what came to port {port}")
        seen = len(self.lines)
        wait_for(lambda: len(self.lines) > seen, "another report", 5)

    def samples(self):
        a = array.array("h")
        with open(self.out, "rb") as f:
            data = f.read()
        a.frombytes(data[: len(data) // 4 * 4])
        return a


def has_fec(payload):
    """The Opus packet carries FEC for the one before it: a SILK or hybrid
    packet whose first frame's header sets an LBRR flag (RFC 6716 4.2.3)."""
    toc = payload[0]
    if toc >> 3 >= 16 or toc & 3 != 0 or len(payload) < 2:
        return False  # CELT only; or several frames, which ffmpeg does not send
    config = toc >> 3
    ms = (10, 20, 40, 60)[config & 3] if config < 12 else (10, 20)[config & 1]
    silk_frames = max(1, ms // 20)
    first = payload[1]
    lbrr = (first >> (7 - silk_frames)) & 1
    if toc & 4:
        lbrr = lbrr or (first >> (6 - 2 * silk_frames)) & 1
    return bool(lbrr)


class Relay:
    """A UDP relay with a bad network inside (impairment.Impairment): each
    packet is lost with probability `loss`, sent twice with `duplicate`,
    and delayed by up to `jitter` seconds (so reordered).  Its threads run
    at stand_in_priority(), so that the jitter is this and not the test
    machine's load.  Records what it forwarded."""

    def __init__(self, dest, loss=0.05, duplicate=0.02, jitter=0.020, seed=1, drop=None,
                 second_path_loss=None):
        """drop(sequence) -> True: the packet is lost before the network
        (a loss pattern of the caller's).  second_path_loss: every packet
        also goes by a second, independent path that loses this fraction
        (a sender sending each packet twice)."""
        self.dest = dest
        self.jitter = jitter
        self.drop = drop
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.address = self.sock.getsockname()
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.impairments = [Impairment(lambda data: self.out.sendto(data, self.dest),
                                       delay=jitter / 2, jitter=jitter / 2, loss=loss,
                                       duplicate=duplicate, seed=seed)]
        if second_path_loss is not None:
            self.impairments.append(Impairment(lambda data: self.out.sendto(data, self.dest),
                                               delay=jitter / 2, jitter=jitter / 2,
                                               loss=second_path_loss, seed=seed + 1))
        self.impairment = self.impairments[0]
        self.forwarded = []  # sequence numbers, once per packet
        self.offered = []  # sequence numbers, in the order they came
        self.copies = {}  # sequence number: copies sent on
        self.payloads = {}  # sequence number: RTP payload, for every packet offered
        self.done = False
        self.thread = threading.Thread(target=self._receive)
        self.thread.start()

    @property
    def datagrams(self):
        """Datagrams sent on (duplicates counted)."""
        return sum(i.sent for i in self.impairments)

    def _receive(self):
        stand_in_priority()
        while not self.done:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            self._offer(data)

    def _offer(self, data):
        sequence = struct.unpack(">H", data[2:4])[0]
        self.offered.append(sequence)
        self.payloads[sequence] = data[12:]
        if self.drop and self.drop(sequence):
            return
        copies = sum(i.offer(data) for i in self.impairments)
        if copies:
            self.forwarded.append(sequence)
            self.copies[sequence] = copies

    def close(self):
        """Once the sender has finished: passes on what is still in the
        socket, sends what is queued, and stops."""
        self.done = True
        self.thread.join()
        self.sock.setblocking(False)
        while True:
            try:
                self._offer(self.sock.recv(65536))
            except BlockingIOError:
                break
        for i in self.impairments:
            i.close()
        self.sock.close()
        self.out.close()


class RtpJukebox(Server):
    """disorderd with the rtp backend to `broadcast` on loopback, or to
    listeners that ask for it ("request"), with `extra` configuration."""

    def __init__(self, broadcast, extra=""):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        where = ("api rtp\nrtp_mode request\n" if broadcast == "request"
                 else f"broadcast {broadcast}\n")
        self.extra_config = (f"collection fs utf-8 {self.music}\n" + where +
                             # The group's packets leave by loopback, and
                             # come back to listeners on this host.
                             "broadcast_from 127.0.0.1 0\n"
                             "multicast_loop yes\n"
                             "queue_pad 0\n" + extra)
        self.write_config()

    def start(self):
        super().start()
        # A speaker held up by the machine's load for more than 20 ms
        # restarts its timeline: a gap in what the listeners hear.
        self.realtime_speaker()
        return self


def dropout_allowed(stats, longest_dropout_ms):
    """The longest dropout a listener's output may have, given the longest
    the network's losses allow and the listener's last report.  Where the
    machine's load held up the listener itself past what its output holds
    (it says so: an underrun), it rightly skipped what it fell behind by,
    to keep its latency (a jump): that may last up to the latency, beyond
    which packets would come late as well."""
    underruns, jumps = int(stats.get("underruns", "0")), int(stats.get("jumps", "0"))
    if underruns == 0:
        return longest_dropout_ms
    assert jumps <= underruns, f"a jump where the listener was not held up: {stats}"
    print(f"# the listener was held up {underruns} time(s)", flush=True)
    return max(longest_dropout_ms, int(float(stats["latency_ms"])))


def what_they_said(listener, server):
    """For a failure: what the listener and the server logged."""
    return f"{listener.stats}\n{listener.log()}\n--- disorderd:\n{server.log_text()}"


def play_tracks(server, tracks):
    paths = []
    for i, t in enumerate(tracks):
        path = os.path.join(server.music, f"{i + 1:02d}.wav")
        write_wav(path, t)
        paths.append(path)
    events = Events(server)
    with closing(server.root()) as r:
        r.ok("rescan", "wait", "fresh")
        r.ok("disable")
        for p in paths:
            r.ok("play", p)
        r.ok("enable")
    for p in paths:
        events.wait("completed", p)
    events.close()
