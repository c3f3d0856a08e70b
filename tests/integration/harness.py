"""Shared machinery for the integration tests: a real disorderd in a
temporary directory, and a protocol client written from
disorder_protocol(5) alone (it shares no code with the C++ client).

Each test file defines functions decorated with @test and ends with
run_tests().  Output is one line per test, "ok NAME", "not ok NAME" or
"skip NAME: why", and the exit status is non-zero if any failed.

With binaries built by configure --enable-sanitizers, a sanitizer report
from any process a test started fails that test: see SanitizerReports.
"""
import atexit
import contextlib
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUILDDIR = os.environ.get("DISORDER_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
DISORDERD = os.path.join(BUILDDIR, "server", "disorderd")
DISORDER = os.path.join(BUILDDIR, "clients", "disorder")

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


class Skip(Exception):
    """Raised by a test that cannot check what it is about here; run_tests
    prints "skip NAME: why" and does not count it as a failure."""


def _built_with_sanitizers():
    try:
        with open(DISORDERD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# True when the programs under test are built with AddressSanitizer.
SANITIZERS = _built_with_sanitizers()


def skip_rss_check_under_sanitizers():
    """A test that measures a process's memory calls this after everything
    else it checks and before the measurement: under AddressSanitizer the
    figures mean nothing, so the test ends there as skipped."""
    if SANITIZERS:
        raise Skip("memory not measured under AddressSanitizer (it keeps freed memory in "
                   "quarantine and adds shadow memory, so RSS says nothing about our code); "
                   "the rest of the test passed")


class SanitizerReports:
    """Where sanitizer reports go, and which ones are new.

    tests/sanitizer-run (make check in a --enable-sanitizers build) points
    ASAN_OPTIONS and UBSAN_OPTIONS at a directory, DISORDER_SANITIZER_REPORTS,
    so that every process a test starts, daemons and their children included,
    writes each report to a file there rather than to a stderr nobody reads.
    When a test file is run by hand against such a build, the same is set up
    here.  After each test, a new report fails that test; it is then renamed
    NAME.seen, so that tests/sanitizer-run knows it has been shown."""

    def __init__(self):
        self.dir = os.environ.get("DISORDER_SANITIZER_REPORTS")
        if not self.dir and SANITIZERS:
            self.dir = tempfile.mkdtemp(prefix="disorder-sanitizer-reports-")
            os.chmod(self.dir, 0o1777)  # the daemons run as nobody
            atexit.register(self._remove_if_empty)
            os.environ["DISORDER_SANITIZER_REPORTS"] = self.dir
            for var, opts in (("ASAN_OPTIONS", "halt_on_error=1:detect_leaks=1:"
                               "allocator_may_return_null=1"),
                              ("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")):
                own = f"log_path={self.dir}/report:{opts}"
                os.environ[var] = own + (":" + os.environ[var] if os.environ.get(var) else "")

    def _remove_if_empty(self):
        try:
            os.rmdir(self.dir)
        except OSError:
            print(f"sanitizer reports are in {self.dir}", file=sys.stderr)

    def new_reports(self):
        """The text of each report written since the last call."""
        if not self.dir:
            return []
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".seen"):
                continue
            path = os.path.join(self.dir, name)
            with open(path, errors="replace") as f:
                out.append(f"--- {path}\n" + f.read())
            os.rename(path, path + ".seen")
        return out


def run_tests():
    """Runs the tests named on the command line (or, where there is none,
    in DISORDER_TESTS, separated by spaces: make check passes no
    arguments), or all of them; a name that is no test of this file fails
    rather than selecting nothing."""
    only = sys.argv[1:] or os.environ.get("DISORDER_TESTS", "").split()
    failed = 0
    known = {fn.__name__ for fn in _tests}
    for name in only:
        if name not in known:
            print(f"not ok {name}: no such test in {os.path.basename(sys.argv[0])}", flush=True)
            failed += 1
    reports = SanitizerReports()
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        try:
            fn()
            result = f"ok {fn.__name__}"
        except Skip as e:
            result = f"skip {fn.__name__}: {e}"
        except Exception:
            traceback.print_exc(file=sys.stdout)
            result = f"not ok {fn.__name__}"
        found = reports.new_reports()
        if found:
            print(f"sanitizer reports during {fn.__name__}:\n" + "\n".join(found))
            result = f"not ok {fn.__name__}"
        if result.startswith("not ok"):
            failed += 1
        print(result, flush=True)
    found = reports.new_reports()
    if found:
        # From a process that outlived the test that started it.
        print("sanitizer reports after the last test:\n" + "\n".join(found))
        print("not ok sanitizer reports after the last test", flush=True)
        failed += 1
    sys.exit(1 if failed else 0)


def wait_for(predicate, what, timeout=10.0):
    """Polls predicate until it is true; raises naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# The SCHED_FIFO priority that the audio threads of disorder-speaker and
# disorder-playrtp ask for.
AUDIO_PRIORITY = 5
# SCHED_FIFO priority for the parts of a test that stand for another host
# (an RTP sender, a lossy network): above every ordinary process, so that
# the other work of a busy test machine does not delay them, and below the
# audio threads of the programs under test.
STAND_IN_PRIORITY = 1
# SCHED_FIFO priority of a stand-in for a sound card (a `cat` writing a
# listener's output to a file): no other work on the machine holds up a
# sound card, and stand-ins at STAND_IN_PRIORITY (a relay in Python, say)
# may run for long stretches, which would hold up one at the same
# priority; still below the audio threads.
SINK_PRIORITY = 3


def stand_in_priority():
    """Puts the calling thread -- or, as a subprocess preexec_fn, the child --
    under SCHED_FIFO at STAND_IN_PRIORITY.  A sender in a test stands for
    another host, whose timing this machine's load should not disturb.
    Returns whether the system granted it (root does)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(STAND_IN_PRIORITY))
        return True
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def standing_in():
    """The calling thread under stand_in_priority() for the with block."""
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    granted = stand_in_priority()
    try:
        yield granted
    finally:
        if granted:
            os.sched_setscheduler(0, policy, param)


def fields(line):
    """A line of name/value pairs (track information) as a dict."""
    words = split(line)
    return dict(zip(words[0::2], words[1::2]))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_port(family=socket.AF_INET, host="127.0.0.1"):
    """A UDP port on host that nobody holds, for a program the test starts
    to bind.  It comes from below the kernel's range for bind(0) (see
    unheld_udp_ports): a port taken from bind(0) and let go could be given
    to a test running beside this one before the program binds it."""
    return unheld_udp_ports(1, host, family)


def unheld_udp_ports(count=1, host="127.0.0.1", family=socket.AF_INET):
    """The first of `count` consecutive UDP ports on host that nobody holds,
    for a test that aims datagrams at a port nobody listens on, or lets one
    go for a while.  They are below the kernel's range for bind(0), so that
    no other test running beside this one is given them meanwhile (and then
    gets datagrams of a stream not its own).  Each is also free on the
    wildcard address of both families, where a listener may bind it."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    for _ in range(200):
        first = random.randrange(10000, low - count)
        socks = []
        try:
            for port in range(first, first + count):
                with socket.socket(family, socket.SOCK_DGRAM) as s:
                    s.bind((host, port))
                if socket.has_ipv6:  # the wildcard of both families
                    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                    s.bind(("::", port))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError(f"no {count} free UDP port(s) below {low}")


def pids_named(name):
    """The processes whose argv[0] has this basename."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                if argv and os.path.basename(argv[0]).decode(errors="replace") == name:
                    out.append(int(pid))
            except OSError:
                pass
    return out


def parent_pid(pid):
    """pid's parent, or None if it exited while we looked."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class ProtocolError(Exception):
    pass


def quote(field):
    """Quotes a field as disorder_protocol(5) describes."""
    if field and not any(c in field for c in " \"'\\\n#") and all(ord(c) >= 32 for c in field):
        return field
    return '"' + field.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def split(line):
    """Splits a response line into fields (quoted or not)."""
    fields, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            return fields
        if line[i] in "\"'":
            q, i, out = line[i], i + 1, []
            while True:
                if i >= n:
                    raise ProtocolError("unterminated quote in " + line)
                c = line[i]
                i += 1
                if c == q:
                    break
                if c == "\\":
                    e = line[i]
                    i += 1
                    out.append({"n": "\n"}.get(e, e))
                else:
                    out.append(c)
            fields.append("".join(out))
        else:
            j = i
            while j < n and line[j] != " ":
                j += 1
            fields.append(line[i:j])
            i = j


def value(c, *args):
    """The value of a 252 reply."""
    code, text, _ = c.command(*args)
    assert code == 252, (args, code, text)
    return split(text)[0]


def body(c, *args):
    """The body of a 253 reply."""
    code, text, lines = c.command(*args)
    assert code == 253, (args, code, text)
    return lines


def track_info(server, command):
    """The track information of a queue, recent or playing reply (asked
    as root), each entry's fields as a dict; [] when nothing plays."""
    with closing(server.root()) as r:
        code, text, lines = r.command(command)
        assert code // 100 == 2, (code, text)
        return [fields(line) for line in lines] if lines is not None else (
            [] if code == 259 else [fields(text)])


def terminate(proc, name):
    """SIGTERM to a running proc and wait; kill it and fail if it does not
    stop within 10 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{name} did not stop on SIGTERM")


class Client:
    """A raw protocol client over a real socket."""

    def __init__(self, address, timeout=10.0, source=None):
        if isinstance(address, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if source:
                self.sock.bind((source, 0))  # connect from this local address
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        self.buf = b""
        code, text = self.read_response()
        if code != 231:
            raise ProtocolError(f"unexpected greeting {code} {text}")
        gen, self.algorithm, challenge = split(text)
        assert gen == "2", text
        self.challenge = bytes.fromhex(challenge)

    def close(self):
        self.sock.close()

    def read_line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8")

    # Events that the server's own first-start rescan may slip in at any
    # time; tests about other events pass over them.
    ASYNC_EVENTS = ("rescan_progress", "rescanned")

    def read_event(self):
        """The next event-log line without its timestamp, skipping ASYNC_EVENTS."""
        while True:
            stamp, rest = self.read_line().split(" ", 1)
            int(stamp, 16)
            if rest.split(" ", 1)[0] not in self.ASYNC_EVENTS:
                return rest

    def read_response(self):
        line = self.read_line()
        if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] != " "):
            raise ProtocolError("malformed response line: " + repr(line))
        return int(line[:3]), line[4:]

    def read_body(self):
        lines = []
        while True:
            line = self.read_line()
            if line == ".":
                return lines
            lines.append(line[1:] if line.startswith(".") else line)

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    # `rescan wait` answers when disorder-rescan, which runs at nice 10
    # (nice_rescan), has finished: on a machine busy with real-time test
    # threads and a second suite that may take longer than other replies.
    RESCAN_TIMEOUT = 60.0

    def command(self, *args):
        """Sends a command; returns (code, text, body-or-None)."""
        self.send_raw(" ".join(quote(a) for a in args) + "\n")
        waiting = args[:1] == ("rescan",) and "wait" in args[1:]
        if waiting:
            usual = self.sock.gettimeout()
            self.sock.settimeout(max(usual or 0, self.RESCAN_TIMEOUT))
        try:
            code, text = self.read_response()
        finally:
            if waiting:
                self.sock.settimeout(usual)
        body = self.read_body() if code % 10 == 3 else None
        return code, text, body

    def login(self, user, password):
        h = hashlib.new(self.algorithm.lower(), password.encode() + self.challenge).hexdigest()
        return self.command("user", user, h)

    def ok(self, *args):
        """Runs a command that must succeed; returns (text, body)."""
        code, text, body = self.command(*args)
        if code // 100 != 2:
            raise AssertionError(f"{args!r} failed: {code} {text}")
        return text, body


class Server:
    """A disorderd in a temporary directory, in the foreground."""

    def __init__(self, extra_config="", algorithm=None, tcp=True):
        self.dir = tempfile.mkdtemp(prefix="disorder-test-")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        self.config_path = os.path.join(self.dir, "config")
        self.port = free_port() if tcp else None
        self.extra_config = extra_config
        self.algorithm = algorithm
        self.proc = None
        # Run before disorderd's own argv: e.g. ["ip", "netns", "exec", NS]
        # to start it in a network namespace.
        self.wrapper = []
        self.write_config()

    def config_text(self):
        lines = [f"home {self.home}"]
        if self.port:
            lines.append(f"listen 127.0.0.1 {self.port}")
        if self.algorithm:
            lines.append(f"authorization_algorithm {self.algorithm}")
        if os.geteuid() == 0:
            # The server refuses to keep root; run it as an ordinary account.
            lines.append("user nobody")
        lines.append(self.extra_config)
        return "\n".join(lines) + "\n"

    def write_config(self, text=None):
        with open(self.config_path, "w") as f:
            f.write(self.config_text() if text is None else text)
        os.chmod(self.config_path, 0o644)

    @property
    def socket_path(self):
        return os.path.join(self.home, "socket")

    @property
    def private_socket_path(self):
        return os.path.join(self.home, "private", "socket")

    def start(self, preexec=None):
        """Starts disorderd and waits until it accepts connections; preexec
        runs in the child before exec (to set resource limits, say)."""
        self.log = open(os.path.join(self.dir, "disorderd.log"), "a")
        self.proc = subprocess.Popen([*self.wrapper, DISORDERD, "--foreground", "--config",
                                      self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"disorderd exited with {self.proc.returncode}:\n"
                                     + self.log_text())
            try:
                Client(self.socket_path).close()
                return True
            except OSError:
                return False
        wait_for(up, "disorderd to accept connections")
        return self

    def realtime_speaker(self):
        """Gives this server's disorder-speaker the real-time priorities it
        asks for, as RLIMIT_RTPRIO would let it take them itself
        (disorder-speaker(8) advises that for a busy machine, which a test
        machine is; the speaker runs as `user`, and raising its limit needs
        more rights than the tests may have): its audio thread's, and that
        of each RTP sender thread it starts, one lower, for as long as the
        server runs.  Without the right, as a user other than root, the
        speaker stays as it is."""
        priorities = {"audio": AUDIO_PRIORITY, "rtp-send": AUDIO_PRIORITY - 1}
        proc = self.proc

        def speaker():
            for pid in pids_named("disorder-speaker"):
                if parent_pid(pid) == proc.pid:
                    return pid
            return None
        pid = wait_for(speaker, "the speaker")
        done = set()
        denied = []

        def grant():
            """Gives the speaker's threads not seen before their priority;
            whether its audio thread is there."""
            audio = False
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                return False  # it exited
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/comm") as f:
                        name = f.read().strip()
                    if name not in priorities:
                        continue
                    audio = audio or name == "audio"
                    # A new thread has its creator's name until it names
                    # itself.
                    if (tid, name) not in done:
                        done.add((tid, name))
                        os.sched_setscheduler(int(tid), os.SCHED_FIFO | os.SCHED_RESET_ON_FORK,
                                              os.sched_param(priorities[name]))
                except PermissionError:
                    denied.append(tid)
                except OSError:
                    pass  # it exited meanwhile
            return audio

        wait_for(grant, "the speaker's audio thread")
        if denied:
            return

        def follow():
            # Only the speaker's own threads are looked at: cheap enough to
            # do often, so that a sender thread has its priority soon.
            while self.proc is proc and proc.poll() is None and os.path.exists(f"/proc/{pid}"):
                grant()
                time.sleep(0.05)
        threading.Thread(target=follow, daemon=True).start()

    def log_text(self):
        with open(os.path.join(self.dir, "disorderd.log")) as f:
            return f.read()

    def stop(self):
        if self.proc:
            terminate(self.proc, "disorderd")
            self.log.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and exc_type is not KeyboardInterrupt:
            # What the server said is the first thing a reader of a
            # failure needs; the directory goes with cleanup().
            try:
                text = self.log_text()
                print(f"--- disorderd log (last 6000 characters):\n{text[-6000:]}",
                      file=sys.stderr)
            except OSError:
                pass
        self.cleanup()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    # Clients -------------------------------------------------------------
    def root(self):
        """A client logged in as root through the privileged socket."""
        c = Client(self.private_socket_path)
        code, text, _ = c.command("user", "root", "-")
        assert code == 230, (code, text)
        return c

    def connect(self, user=None, password=None, tcp=False, source=None):
        c = Client(("127.0.0.1", self.port) if tcp else self.socket_path, source=source)
        if user is not None:
            code, text, _ = c.login(user, password)
            assert code == 230, (code, text)
        return c

    def add_user(self, name, password, rights=None):
        with _Closing(self.root()) as r:
            args = ["adduser", name, password] + ([rights] if rights is not None else [])
            r.ok(*args)

    def cli_env(self, user=None, password=None, tag=""):
        """The environment for running the CLI against this server, with a
        user configuration file (passwd-TAG-USER) holding user and password."""
        env = dict(os.environ)
        env["DISORDER_CONFIG"] = self.config_path
        userconf = os.path.join(self.dir, f"passwd-{tag}{user or 'default'}")
        with open(userconf, "w") as f:
            if user:
                f.write(f"username {user}\n")
            if password:
                f.write(f"password {quote(password)}\n")
        os.chmod(userconf, 0o600)
        env["DISORDER_USERCONFIG"] = userconf
        env.pop("DISORDER_HOME", None)
        return env

    def cli(self, *args, user=None, password=None, check=True, input=None):
        """Runs the disorder CLI against this server; returns CompletedProcess."""
        env = self.cli_env(user, password)
        p = subprocess.run([DISORDER, *args], env=env, capture_output=True, text=True,
                           input=input, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"disorder {args} exited {p.returncode}: {p.stderr}")
        return p


class _Closing:
    def __init__(self, c):
        self.c = c

    def __enter__(self):
        return self.c

    def __exit__(self, *exc):
        self.c.close()


def closing(c):
    return _Closing(c)
