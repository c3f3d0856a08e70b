"""The set-up of the synchronisation tests (sync_test.py) and of
bench/sync: a sender and listeners on a network of their own, each listener
with its own clock.

- Network: a hub namespace (the sender: disorderd with `api rtp` and
  `rtp_mode request`, or snapserver) and one namespace per listener, each
  joined to the hub by a veth pair; a listener's path may run through a
  third namespace where impairment.py's TUN relay delays, jitters and loses
  every packet in both directions (RTP, RTCP, the clock exchange and the
  protocol connection alike).  Because the relay routes rather than
  forwards to a port, no address is translated: the listener sees the
  server's own address and answers it, as on a real LAN.  Everything lives
  in namespaces this run creates (their names carry the process id), so the
  host's own network is untouched and parallel runs do not meet; close()
  removes them, and the processes in them, also after a failure.
- Each listener runs in its own time namespace too (`unshare --time`), with
  a CLOCK_MONOTONIC offset of its own, so that the listeners' monotonic
  clocks, and the sender's, really disagree.
- The sender plays the test signal of sync_signal.py (a WAV file generated
  here), each listener's output goes to sync_recorder.py, and sync_capture.py
  notes the send instant of every RTP packet in the hub; sync_analysis.py
  turns these into figures.
"""
import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import sync_signal
from harness import BUILDDIR, Server, closing, stand_in_priority

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYRTP = os.path.join(BUILDDIR, "clients", "disorder-playrtp")
RECORDER = os.path.join(HERE, "sync_recorder.py")
CAPTURE = os.path.join(HERE, "sync_capture.py")
IMPAIRMENT = os.path.join(HERE, "impairment.py")
SERVER_PORT = 4711  # disorderd's TCP port in the hub namespace
SNAPCAST_PORT = 1704


def ip(*args, check=True):
    p = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def why_not_possible():
    """None if this machine can run the set-up, else why not."""
    if os.geteuid() != 0:
        return "needs root (network and time namespaces)"
    for tool in ("ip", "unshare"):
        if not shutil.which(tool):
            return f"needs {tool}"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    p = subprocess.run(["unshare", "--time", "--monotonic", "5", "--fork", "true"],
                       capture_output=True)
    if p.returncode != 0:
        return "time namespaces are not available (unshare --time)"
    return None


def children(pid):
    """pid's descendants (its children first)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        return out
    for c in list(out):
        out.extend(children(c))
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_seconds(pid):
    """User + system CPU seconds of pid (all its threads), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Path:
    """A listener's namespace and addresses; `relay` is its RelayProcess or None."""

    def __init__(self, name, namespace, address, hub_address, relay=None):
        self.name, self.namespace = name, namespace
        self.address, self.hub_address = address, hub_address
        self.relay = relay


class RelayProcess:
    """impairment.py's TUN relay running in a namespace."""

    def __init__(self, proc):
        self.proc = proc
        self.counts = None

    def outage(self):
        self.proc.send_signal(signal.SIGUSR1)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=5)
                for line in out.decode().splitlines():
                    if line.startswith("{"):
                        self.counts = json.loads(line)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.counts


def read_line(proc, what, timeout=10):
    """The next line of proc's stdout, within timeout."""
    deadline = time.monotonic() + timeout
    line = b""
    fd = proc.stdout.fileno()
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"timed out waiting for {what}")
        c = os.read(fd, 1)
        if not c:
            raise AssertionError(f"{what}: the process exited ({proc.wait()})")
        line += c
    return line.decode().strip()


class Network:
    """The hub namespace and the listeners' paths to it (see the module's
    description).  A context manager; close() removes everything."""

    def __init__(self):
        self.tag = f"dsync{os.getpid()}{secrets.token_hex(2)}"
        self.namespaces = []
        self.procs = []
        self.relays = []
        self.count = 0
        try:
            self.hub = self._namespace("hub")
        except Exception:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _namespace(self, role):
        name = f"{self.tag}-{role}"
        ip("netns", "add", name)
        self.namespaces.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        return name

    def _sysctl(self, ns, key, value):
        subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                        f"echo {value} > /proc/sys/{key.replace('.', '/')}"], check=True)

    def _link(self, ns1, name1, address1, ns2, name2, address2):
        ip("link", "add", "name", name1, "netns", ns1, "type", "veth", "peer", "name", name2,
           "netns", ns2)
        for ns, name, address in ((ns1, name1, address1), (ns2, name2, address2)):
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", name)
            ip("-n", ns, "link", "set", "dev", name, "up")

    def add_listener(self, name, delay=0.0, jitter=0.0, loss=0.0, outage=2.0, seed=1,
                     relay=None):
        """A namespace for listener `name` joined to the hub: directly, or,
        with relay=True (implied by any impairment), through the TUN relay
        with these impairments (seconds, and a probability for loss)."""
        self.count += 1
        k = self.count
        hub_address = f"10.77.{k}.1"
        if relay is None:
            relay = bool(delay or jitter or loss)
        if not relay:
            ns = self._namespace(name)
            self._link(self.hub, f"to-{name}", hub_address, ns, "hub", f"10.77.{k}.2")
            ip("-n", ns, "route", "add", "default", "via", hub_address)
            return Path(name, ns, f"10.77.{k}.2", hub_address)
        rns = self._namespace(name + "-net")
        ns = self._namespace(name)
        self._link(self.hub, f"to-{name}", hub_address, rns, "tohub", f"10.77.{k}.2")
        self._link(rns, "tolistener", f"10.78.{k}.1", ns, "hub", f"10.78.{k}.2")
        ip("-n", self.hub, "route", "add", f"10.78.{k}.0/24", "via", f"10.77.{k}.2")
        ip("-n", ns, "route", "add", "default", "via", f"10.78.{k}.1")
        for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter",
                    "net.ipv4.conf.default.rp_filter"):
            self._sysctl(rns, key, 1 if key.endswith("forward") else 0)
        proc = subprocess.Popen(
            ["ip", "netns", "exec", rns, sys.executable, IMPAIRMENT, "tun", "imp",
             "--delay", str(delay), "--jitter", str(jitter), "--loss", str(loss),
             "--outage", str(outage), "--seed", str(seed)],
            stdout=subprocess.PIPE, start_new_session=True)
        self.procs.append(proc)
        relay_process = RelayProcess(proc)
        self.relays.append(relay_process)
        assert read_line(proc, "the relay") == "ready"
        self._sysctl(rns, "net.ipv4.conf.imp.rp_filter", 0)
        ip("-n", rns, "link", "set", "imp", "up")
        # What arrives from either side goes to the relay; what the relay
        # writes back is routed by the main table to the other side.
        for side in ("tohub", "tolistener"):
            ip("-n", rns, "rule", "add", "iif", side, "lookup", "100")
        ip("-n", rns, "route", "add", "default", "dev", "imp", "table", "100")
        return Path(name, ns, f"10.78.{k}.2", hub_address, relay_process)

    def popen(self, namespace, argv, monotonic=None, **kwargs):
        """argv in a namespace (and, with `monotonic`, a time namespace whose
        CLOCK_MONOTONIC and CLOCK_BOOTTIME are that many seconds ahead), in
        a session of its own so that close() can stop all of it."""
        prefix = ["ip", "netns", "exec", namespace]
        if monotonic is not None:
            prefix += ["unshare", "--time", "--monotonic", str(monotonic), "--boottime",
                       str(monotonic), "--fork", "--kill-child"]
        proc = subprocess.Popen([*prefix, *argv], start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def close(self):
        for r in self.relays:
            try:
                r.close()
            except Exception:
                pass
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(5)
                except (OSError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    p.wait()
        for ns in reversed(self.namespaces):
            # Anything still running in our namespaces is ours.
            for pid in ip("netns", "pids", ns, check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            ip("netns", "del", ns, check=False)
        self.namespaces = []
        self.procs = []


class Capture:
    """sync_capture.py in the hub: the send instant of every RTP packet."""

    def __init__(self, network, directory):
        self.path = os.path.join(directory, "capture.txt")
        open(self.path, "w").close()
        self.proc = network.popen(network.hub, [sys.executable, CAPTURE, self.path])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(5)


class SyncJukebox(Server):
    """disorderd in the hub namespace, with `api rtp` in request mode,
    listening on SERVER_PORT there, with the test signal as its collection
    (`seconds` long), and a user `listener` (password `pw`) for the
    listeners to log in as.  `extra` is more configuration."""

    def __init__(self, network, seconds, extra=""):
        super().__init__(tcp=False)
        self.wrapper = ["ip", "netns", "exec", network.hub]
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        self.track = os.path.join(self.music, "signal.wav")
        sync_signal.write_wav(self.track, seconds)
        self.extra_config = (f"collection fs utf-8 {self.music}\n"
                             "api rtp\nrtp_mode request\n"
                             f"listen {SERVER_PORT}\n"
                             "queue_pad 0\n" + extra)
        self.write_config()

    def start(self):
        super().start()
        # A speaker held up by the machine's load for more than 20 ms
        # restarts its timeline: a gap in what the listeners hear.
        self.realtime_speaker()
        self.add_user("listener", "pw")
        return self

    def play(self):
        with closing(self.root()) as r:
            r.ok("rescan", "wait", "fresh")
            r.ok("play", self.track)


class Player:
    """What a listener of either kind has in common: a directory, a
    recording, a process tree in a namespace, its CPU time."""

    kind = None

    def __init__(self, network, path, monotonic):
        self.network, self.path, self.monotonic = network, path, monotonic
        self.name = path.name
        self.dir = tempfile.mkdtemp(prefix=f"sync-{self.name}-")
        self.recording = os.path.join(self.dir, "recording")
        open(self.recording, "wb").close()
        self.log_path = os.path.join(self.dir, "log")
        self.log = open(self.log_path, "w")
        self.proc = None
        self.started_ns = None
        self.cpu_start = None

    def _spawn(self, argv):
        self.started_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
        self.proc = self.network.popen(self.path.namespace, argv, monotonic=self.monotonic,
                                       stdout=self.log, stderr=subprocess.STDOUT)

    def pid(self):
        """The pid of the player program itself (not unshare or a shell)."""
        if self.proc is None:
            return None
        for c in [self.proc.pid] + children(self.proc.pid):
            if comm(c) == self.kind:
                return c
        return None

    def cpu(self):
        pid = self.pid()
        return cpu_seconds(pid) if pid else None

    def mark_cpu(self):
        """Starts a CPU measurement: cpu_share() is from here."""
        self.cpu_start = (time.monotonic(), self.cpu())

    def cpu_share(self):
        """The player's CPU time since mark_cpu() as a share of one core."""
        if not self.cpu_start or self.cpu_start[1] is None:
            return None
        now = self.cpu()
        if now is None:
            return None
        return (now - self.cpu_start[1]) / (time.monotonic() - self.cpu_start[0])

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        if self.proc:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def close(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Listener(Player):
    """disorder-playrtp in its namespaces, asking the hub's disorderd for a
    stream of its own (rtp-request, logged in as `listener`) and playing
    it into sync_recorder.py; a control socket for --status."""

    kind = "disorder-playrt"  # /proc's comm: 15 characters

    def __init__(self, network, path, monotonic, extra=(), keep=64):
        super().__init__(network, path, monotonic)
        self.config = os.path.join(self.dir, "config")
        with open(self.config, "w") as f:
            f.write(f"connect {path.hub_address} {SERVER_PORT}\n"
                    f"rtp_instance_name {self.name}\n")
        self.user_config = os.path.join(self.dir, "passwd")
        with open(self.user_config, "w") as f:
            f.write("username listener\npassword pw\n")
        os.chmod(self.user_config, 0o600)
        self.control = os.path.join(self.dir, "control")
        recorder = f"{sys.executable} {RECORDER} --keep {keep} {self.recording}"
        self._spawn([PLAYRTP, "--config", self.config, "--user-config", self.user_config,
                     "--command", recorder, "--monitor", "--socket", self.control, *extra,
                     "--", "-"])

    def ask(self, line, timeout=5):
        """One line to the control socket; the reply ("" for none), or None
        if the socket does not answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.settimeout(timeout)
                c.connect(self.control)
                c.sendall(line.encode() + b"\n")
                data = b""
                while True:
                    chunk = c.recv(4096)
                    if not chunk:
                        return data.decode()
                    data += chunk
        except OSError:
            return None

    def status(self):
        """The control socket's `status` as a dict, {} if the listener has
        no such command (no reply), None if the socket does not answer."""
        reply = self.ask("status")
        if reply is None:
            return None
        return dict(w.split("=", 1) for w in reply.split() if "=" in w)

    def status_command(self):
        """disorder-playrtp --status (--socket) as the user sees it."""
        return subprocess.run([PLAYRTP, "--status", "--socket", self.control],
                              capture_output=True, text=True, timeout=10)


class SnapServer:
    """snapserver in the hub namespace, reading the test signal (44.1 kHz
    16-bit stereo) from a FIFO that a thread here fills in real time; the
    feed instant of every chunk is noted, for the end-to-end latency."""

    def __init__(self, network, seconds, extra=()):
        self.dir = tempfile.mkdtemp(prefix="sync-snapserver-")
        self.fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(self.fifo)
        self.config = os.path.join(self.dir, "snapserver.conf")
        with open(self.config, "w") as f:
            f.write(f"[server]\ndatadir = {self.dir}\n"
                    f"[stream]\nbind_to_address = 0.0.0.0\nport = {SNAPCAST_PORT}\n"
                    f"source = pipe://{self.fifo}?name=sync&sampleformat=44100:16:2&mode=read\n"
                    + "".join(f"{line}\n" for line in extra) +
                    "[http]\nenabled = false\n[tcp]\nenabled = false\n"
                    "[logging]\nfilter = *:notice\n")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = network.popen(network.hub, ["snapserver", "--config", self.config],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        self.seconds = seconds
        self.fed = []  # (realtime_ns, position)
        self.stopping = False
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()

    def _feed(self):
        stand_in_priority()
        fd = os.open(self.fifo, os.O_WRONLY)  # until snapserver opens it
        try:
            fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ: a page, 23 ms
        except OSError:
            pass
        chunk = 441
        start = time.monotonic()
        total = int(self.seconds * sync_signal.RATE)
        for first in range(0, total, chunk):
            if self.stopping:
                break
            delay = start + first / sync_signal.RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            data = sync_signal.frames(first, min(chunk, total - first))
            if sys.byteorder == "big":
                data.byteswap()
            try:
                os.write(fd, data.tobytes())
            except OSError:
                break
            self.fed.append((time.clock_gettime_ns(time.CLOCK_REALTIME), first))
        os.close(fd)

    def close(self):
        self.stopping = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SnapClient(Player):
    """snapclient in its namespaces, its file player writing to standard
    output, piped into sync_recorder.py.  The file player writes with
    stdio, which holds what it writes to a pipe until 8 KiB have gathered
    (2048 frames, 46 ms, cut anywhere in its 50 ms chunks): stdbuf -o0
    makes each chunk reach the recorder as it is written."""

    kind = "snapclient"

    def __init__(self, network, path, monotonic, keep=64):
        super().__init__(network, path, monotonic)
        command = (f"stdbuf -o0 snapclient -h {path.hub_address} -p {SNAPCAST_PORT} "
                   f"--hostID {self.name} --player file:filename=stdout --logsink stderr "
                   f"| {sys.executable} {RECORDER} --keep {keep} {self.recording}")
        self._spawn(["sh", "-c", command])
