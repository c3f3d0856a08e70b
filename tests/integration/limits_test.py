"""What one client can cost the server: the connection limit, running out
of file descriptors, what an unauthenticated client may send and for how
long, command deadlines after login, the input budget shared by all
connections, and replies and log lines that arguments cannot forge
(disorder_protocol(5) CONNECTIONS, disorder_config(5) max_connections,
login_timeout, command_timeout)."""
import os
import resource
import select
import socket
import threading
import time

from harness import (SANITIZERS, Server, closing, run_tests,
                     skip_rss_check_under_sanitizers, test, wait_for)


def raw_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def read_line(sock):
    """One line from a raw socket (b"" at EOF)."""
    out = b""
    while not out.endswith(b"\n"):
        try:
            c = sock.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            return out
        if not c:
            return out
        out += c
    return out


def closed_by_server(sock, timeout=20.0):
    """True once the server has closed sock (reads EOF or a reset),
    discarding anything it sent first; False if still open at the deadline."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def greeted(path):
    """Whether a new connection to path is greeted (231)."""
    c = raw_connect(path)
    try:
        return read_line(c).startswith(b"231 ")
    finally:
        c.close()


def log_lines(server, needle):
    return [l for l in server.log_text().splitlines() if needle in l]


# ------------------------------------------------------------ connection limit

@test
def max_connections_turns_further_clients_away():
    with Server("max_connections 5") as s:
        clients = [s.connect() for _ in range(5)]
        extra = raw_connect(s.socket_path)
        assert read_line(extra) == b"550 too many connections, try again later\n"
        assert closed_by_server(extra)
        # The privileged socket does not count: administration still works.
        with closing(s.root()) as r:
            r.ok("nop")
        # A client that leaves makes room for the next.
        clients.pop().close()
        wait_for(lambda: greeted(s.socket_path), "a connection to be accepted again")
        for c in clients:
            c.close()
        assert log_lines(s, "turned a client away"), s.log_text()


def start_with_limit(server, soft, hard):
    """Starts server's disorderd with the given descriptor limits."""
    return server.start(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))


def soft_descriptor_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no descriptor limit in /proc/PID/limits")


@test
def the_descriptor_limit_is_raised_to_the_hard_limit():
    s = Server()
    try:
        start_with_limit(s, 64, 4096)
        assert soft_descriptor_limit(s.proc.pid) == 4096
    finally:
        s.cleanup()


# A speaker that is always there, so that the server's own descriptors stay
# the same while a test counts on them.
STEADY = 'api command\nspeaker_command "cat >/dev/null"'


@test
def with_a_low_descriptor_limit_clients_beyond_it_are_turned_away():
    # 64 descriptors and no way to raise them: the server serves 32 clients
    # (64 are kept for itself, or half when there are fewer) and turns the
    # rest away with a clear reply.
    s = Server(STEADY)
    try:
        start_with_limit(s, 64, 64)
        assert log_lines(s, "allows only 32 connections"), s.log_text()
        socks = [raw_connect(s.socket_path) for _ in range(180)]
        first = [read_line(c) for c in socks]
        welcomed = sum(1 for l in first if l.startswith(b"231 "))
        refused = sum(1 for l in first if l == b"550 too many connections, try again later\n")
        # (32, or one fewer if the harness's own probe is not yet gone.)
        assert welcomed in (31, 32) and welcomed + refused == 180, (welcomed, refused)
        for c in socks:
            c.close()
    finally:
        s.cleanup()


@test
def out_of_descriptors_clients_are_answered_and_the_log_stays_small():
    # How many descriptors does the server use by itself?
    s = Server(STEADY)
    try:
        s.start()
        with closing(s.root()) as r:
            r.ok("nop")
        own = len(os.listdir(f"/proc/{s.proc.pid}/fd"))
        s.stop()
        # Room for four clients.  max_connections would allow more (half the
        # limit, here), so accept() itself runs out of descriptors.
        start_with_limit(s, own + 4, own + 4)
        log = os.path.join(s.dir, "disorderd.log")
        size_before = os.path.getsize(log)
        socks = []
        t0 = time.monotonic()
        # Clients keep arriving for a few seconds: every one is answered at
        # once, greeted or refused; none is left hanging.
        while time.monotonic() - t0 < 3 or len(socks) < 30:
            c = raw_connect(s.socket_path)
            socks.append((c, read_line(c)))
        served = [c for c, l in socks if l.startswith(b"231 ")]
        refused = [c for c, l in socks if l == b"550 too many connections, try again later\n"]
        assert len(served) >= 1 and len(served) + len(refused) == len(socks), \
            (len(served), len(refused), len(socks))
        # The greeted ones are served meanwhile.
        for c in served:
            c.sendall(b"nop\n")
            assert read_line(c).startswith(b"250"), s.log_text()
        # Seconds of failing accept() log a line or two, not megabytes.
        failures = log_lines(s, "cannot accept connections")
        assert 1 <= len(failures) <= 2, failures
        grown = os.path.getsize(log) - size_before
        assert grown < 4096, f"the log grew by {grown} bytes:\n{s.log_text()}"
        # With descriptors free again, clients are greeted again.
        for c, _ in socks:
            c.close()
        wait_for(lambda: greeted(s.socket_path), "a client to be greeted again")
    finally:
        s.cleanup()


# ------------------------------------------------------- before login

@test
def before_login_lines_are_short_and_bodies_refused():
    with Server() as s:
        c = raw_connect(s.socket_path)
        read_line(c)
        c.sendall(b"user " + b"a" * 5000 + b" x\n")
        assert read_line(c).startswith(b"500 line too long")
        assert closed_by_server(c)

        c = raw_connect(s.socket_path)
        read_line(c)
        c.sendall(b"x" * 100000)  # no line feed at all
        assert read_line(c).startswith(b"500 line too long")
        assert closed_by_server(c)

        c = raw_connect(s.socket_path)
        read_line(c)
        c.sendall(b"playlist-set mine\nsome/track\n")
        assert read_line(c) == b"530 not authenticated\n"
        assert closed_by_server(c)

        # Short commands before login are still fine, and so is logging in.
        s.add_user("fred", "pw")
        with closing(s.connect()) as ok:
            ok.ok("nop")
            code, _, _ = ok.login("fred", "pw")
            assert code == 230


@test
def unauthenticated_clients_cannot_make_the_server_buffer():
    skip_rss_check_under_sanitizers()
    with Server() as s:
        base = s.rss_kib()
        body = b"playlist-set p\n" + b"".join(b"a/track/name/%08d.ogg\n" % i
                                           for i in range(500000))  # ~13 MB
        partial = b"user " + b"x" * (1 << 20)  # 1 MB without a line feed

        def hostile(payload):
            c = raw_connect(s.socket_path)
            read_line(c)
            try:
                c.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert closed_by_server(c)
            c.close()
        threads = [threading.Thread(target=hostile, args=(body if i % 2 else partial,))
                   for i in range(20)]
        for t in threads:
            t.start()
        peak = base
        while any(t.is_alive() for t in threads):
            peak = max(peak, s.rss_kib())
            time.sleep(0.01)
        for t in threads:
            t.join()
        # Before, 20 such clients took the server from 72 to 514 MB.
        assert peak - base < 16 * 1024, f"RSS grew from {base} to {peak} KiB"
        with closing(s.root()) as r:
            r.ok("nop")


@test
def a_client_that_does_not_log_in_is_dropped():
    with Server("login_timeout 2") as s:
        # One trickles a line a byte at a time, one sends `nop` now and then:
        # neither logs in, so both go when login_timeout has passed.
        trickle = raw_connect(s.socket_path)
        nops = raw_connect(s.socket_path)
        read_line(trickle)
        read_line(nops)
        start = time.monotonic()
        done = {}

        def trickler():
            try:
                for b in b"user someone " + b"0" * 100:
                    trickle.sendall(bytes([b]))
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                done["trickle"] = time.monotonic() - start

        def nopper():
            try:
                while time.monotonic() - start < 30:
                    nops.sendall(b"nop\n")
                    line = read_line(nops)
                    if line.startswith(b"530"):
                        assert line == b"530 authentication timed out\n", line
                        continue
                    if not line:
                        break
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError):
                pass
            done["nop"] = time.monotonic() - start
        threads = [threading.Thread(target=trickler), threading.Thread(target=nopper)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert "trickle" in done and "nop" in done, done
        # Generous upper bound for a loaded machine; without a deadline
        # they were held for ever.
        assert done["nop"] < 20 and done["trickle"] < 20, done


@test
def after_login_a_command_must_arrive_whole_but_idling_is_fine():
    with Server("command_timeout 2") as s:
        s.add_user("fred", "pw")
        idle = s.connect("fred", "pw")
        slow = s.connect("fred", "pw")
        streaming = s.connect("fred", "pw")
        start = time.monotonic()
        # Half a command, then nothing: dropped after command_timeout.
        slow.send_raw("playl")
        assert closed_by_server(slow.sock, timeout=30)
        assert time.monotonic() - start < 25
        # Meanwhile a client that keeps completing commands, each read
        # ending halfway through the next, is never dropped: the deadline
        # counts from the start of the command that is incomplete.
        t0 = time.monotonic()
        streaming.send_raw("no")
        replies = 0
        while time.monotonic() - t0 < 5:
            streaming.send_raw("p\nno")
            code, _ = streaming.read_response()
            assert code == 250
            replies += 1
            time.sleep(0.2)
        streaming.send_raw("p\n")
        assert streaming.read_response()[0] == 250
        # The idle client has been idle for longer than command_timeout.
        assert idle.ok("nop")
        idle.close()
        streaming.close()


@test
def the_input_of_all_clients_together_is_bounded():
    with Server() as s:
        s.add_user("fred", "pw", "read,play")
        base = s.rss_kib()
        # Three logged-in clients each start a 15 MB playlist body (each
        # under the 16 MB a body may hold) and do not finish it: together
        # they would pass the 32 MB budget, so one of them is turned away.
        line = b"a/track/name/that/is/quite/long/%010d.ogg\n"
        body = b"".join(line % i for i in range(15 * 1024 * 1024 // len(line % 0)))
        clients = [s.connect("fred", "pw") for _ in range(3)]
        results = {}

        def send(i):
            c = clients[i]
            try:
                c.send_raw(b"playlist-set fred.list%d\n" % i)
                c.sock.sendall(body)
                results[i] = "sent"
            except (BrokenPipeError, ConnectionResetError):
                results[i] = "reset"
        threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        # The refusal may still be on its way from a server that a busy
        # machine holds up: wait for some answer first.
        select.select([c.sock for c in clients], [], [], 20)
        refused = []
        for i, c in enumerate(clients):
            c.sock.settimeout(0.5)
            try:
                first = c.read_line()
            except (socket.timeout, EOFError, ConnectionResetError):
                continue
            assert first.startswith("500 server busy"), first
            refused.append(i)
        assert len(refused) >= 1, results
        for c in clients:
            c.close()
        with closing(s.connect("fred", "pw")) as c:
            c.ok("nop")
        if not SANITIZERS:
            # Memory comes back when the connections are gone.
            wait_for(lambda: s.rss_kib() - base < 24 * 1024,
                     f"RSS to come back near {base} KiB (now {s.rss_kib()})", timeout=20)


# ------------------------------------------------------- forged replies and log lines

@test
def arguments_cannot_forge_replies():
    with Server() as s:
        s.add_user("fred", "pw")
        with closing(s.connect("fred", "pw")) as c:
            for args in [("playlist-get", "q\n250 OK"),
                         ("q\n250 OK",),
                         ("remove", "x\n250 OK"),
                         ("get", "no/such\n250 OK", "pref")]:
                c.send_raw(" ".join(f'"{a}"'.replace("\n", "\\n") for a in args) + "\nversion\n")
                code, text = c.read_response()
                assert code // 100 == 5, (args, code, text)
                assert "\n" not in text
                code, text = c.read_response()
                assert code == 251, f"{args}: a forged reply came next: {code} {text}"


@test
def arguments_cannot_forge_log_lines():
    with Server() as s:
        with closing(s.connect()) as c:
            code, _, _ = c.command("user", "x\ndisorderd: ERROR: forged", "00")
            assert code == 530
            code, _, _ = c.command("user", "y" * 3500, "00")
            assert code == 530
        with closing(s.root()) as r:
            r.ok("nop")  # everything before it is in the log
        lines = s.log_text().splitlines()
        assert not any(l.startswith("disorderd: ERROR: forged") for l in lines), lines
        failures = [l for l in lines if "authentication failure" in l]
        assert len(failures) == 2, failures
        assert "x\\x0adisorderd: ERROR: forged" in failures[0]
        assert all(len(l) < 1024 for l in failures), [len(l) for l in failures]


run_tests()
