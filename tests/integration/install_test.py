"""Installing and operating the server: what `make install` puts where (the
examples with this installation's paths, the state directory), the
installed server run from the installed example configuration and talked
to with the installed client, disorderd --check-config, logging when
syslog cannot be reached, the pidfile, and the scripts that build
(scripts/build on a source tree configured in place, scripts/deps'
package lists, scripts/quickstart run while its demo runs)."""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import closing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILDDIR, DISORDERD, Server, Skip, free_port, run_tests, terminate,  # noqa: E402
                     test, wait_for)

SRCDIR = os.environ.get("DISORDER_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def make_environment():
    """The environment for a make of our own: not the jobserver of a make
    check that may have started this test (its descriptors are not ours)."""
    env = dict(os.environ)
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(var, None)
    return env


def scratch_dir(prefix):
    """A temporary directory that the server's account ('nobody' when the
    test runs as root) can pass through."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def run_dir(parent):
    """A directory for a pidfile that the server's account may remove."""
    run = os.path.join(parent, "run")
    os.mkdir(run)
    if os.geteuid() == 0:
        shutil.chown(run, "nobody")
    return run


class Installation:
    """`make install DESTDIR=...` of the build under test, made once."""

    VARIABLES = ("prefix", "bindir", "sbindir", "mandir", "docdir", "sysconfdir",
                 "localstatedir", "pkgdatadir")

    def __init__(self):
        self.destdir = scratch_dir("disorder-install-")
        # The directories as configured, expanded by make itself.
        printer = "print-dirs:\n" + "".join(
            f"\t@echo '{v}=$({v})'\n" for v in self.VARIABLES)
        p = subprocess.run(["make", "-s", "--no-print-directory", "-C", BUILDDIR, "-f", "Makefile",
                            "-f", "-", "print-dirs"], input=printer, capture_output=True,
                           text=True, env=make_environment(), timeout=120)
        assert p.returncode == 0, p.stderr
        self.dirs = dict(line.split("=", 1) for line in p.stdout.splitlines())
        p = subprocess.run(["make", "-s", "-C", BUILDDIR, "install", f"DESTDIR={self.destdir}"],
                           capture_output=True, text=True, env=make_environment(), timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr

    def path(self, dirname, *names):
        """Where a file of the installation is under DESTDIR."""
        return os.path.join(self.destdir + self.dirs[dirname], *names)


_installation = None


def installation():
    global _installation
    if _installation is None:
        _installation = Installation()
    return _installation


def cleanup_installation():
    if _installation is not None:
        shutil.rmtree(_installation.destdir, ignore_errors=True)


@test
def make_install_installs_programs_man_pages_examples_and_state_dir():
    inst = installation()
    for d, names in (("sbindir", ["disorderd", "disorder-rescan", "disorder-decode",
                                  "disorder-speaker", "disorder-dump", "disorder-web"]),
                     ("bindir", ["disorder", "disorder-playrtp"])):
        for name in names:
            f = inst.path(d, name)
            assert os.access(f, os.X_OK), f"{f} is not an installed program"
    for page in ("man8/disorderd.8", "man1/disorder.1", "man5/disorder_config.5",
                 "man8/disorder-web.8"):
        assert os.path.isfile(inst.path("mandir", page)), page
    # The examples, with the paths of this installation and nothing left
    # to substitute.
    examples = inst.path("docdir", "examples")
    assert sorted(os.listdir(examples)) == ["config", "disorder-web.service",
                                            "disorderd.service"], os.listdir(examples)
    for name in os.listdir(examples):
        with open(os.path.join(examples, name)) as f:
            text = f.read()
        assert not re.search(r"@[A-Za-z_]+@", text), (name, text)
    sbindir = inst.dirs["sbindir"]
    with open(os.path.join(examples, "disorderd.service")) as f:
        unit = f.read().splitlines()
    assert f"ExecStart={sbindir}/disorderd --foreground --syslog" in unit, unit
    assert f"ExecStartPre={sbindir}/disorderd --check-config" in unit, unit
    with open(os.path.join(examples, "disorder-web.service")) as f:
        unit = f.read().splitlines()
    assert f"ExecStart={sbindir}/disorder-web --foreground --syslog" in unit, unit
    with open(os.path.join(examples, "config")) as f:
        config = f.read()
    state = inst.dirs["localstatedir"] + "/disorder"
    assert f"\nhome {state}\n" in config, config
    assert inst.dirs["sysconfdir"] + "/disorder/config" in config, config
    # The server's default home, made by make install with the mode the
    # server gives it.
    st = os.stat(inst.destdir + state)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o711, oct(st.st_mode)


@test
def installed_server_runs_from_the_installed_example_config():
    inst = installation()
    work = scratch_dir("disorder-installed-")
    try:
        music = os.path.join(work, "music")
        os.makedirs(os.path.join(music, "artist"))
        # The home is below directories that do not exist yet: the server
        # makes them.
        home = os.path.join(work, "var", "lib", "disorder")
        port = free_port()
        with open(inst.path("docdir", "examples", "config")) as f:
            text = f.read()
        # Only what places the server in the test's directory and lets it
        # run as whoever runs the test changes.
        text = re.sub(r"(?m)^home .*$", f"home {home}", text)
        text = re.sub(r"(?m)^collection .*$", f"collection fs utf-8 {music}", text)
        text = re.sub(r"(?m)^# listen .*$", f"listen 127.0.0.1 {port}", text)
        text = re.sub(r"(?m)^user .*$", "user nobody" if os.geteuid() == 0 else "", text)
        config = os.path.join(work, "config")
        with open(config, "w") as f:
            f.write(text)
        os.chmod(config, 0o644)
        disorderd = inst.path("sbindir", "disorderd")
        p = subprocess.run([disorderd, "--check-config", "--config", config],
                           capture_output=True, text=True, timeout=30)
        assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p
        pidfile = os.path.join(run_dir(work), "disorderd.pid")
        with open(os.path.join(work, "disorderd.log"), "w") as log:
            proc = subprocess.Popen([disorderd, "--foreground", "--config", config,
                                     "--pidfile", pidfile], stdout=log, stderr=subprocess.STDOUT)
        try:
            def up():
                assert proc.poll() is None, open(os.path.join(work, "disorderd.log")).read()
                return os.path.exists(os.path.join(home, "socket"))
            wait_for(up, "the installed disorderd to listen", timeout=30)
            for d in (os.path.join(work, "var"), os.path.join(work, "var", "lib")):
                assert stat.S_IMODE(os.stat(d).st_mode) == 0o755, d
            env = dict(os.environ, DISORDER_CONFIG=config,
                       DISORDER_USERCONFIG=os.path.join(work, "no-passwd"))
            env.pop("DISORDER_HOME", None)
            disorder = inst.path("bindir", "disorder")
            p = subprocess.run([disorder, "--user", "root", "version"], env=env,
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0 and p.stdout.strip(), p
            p = subprocess.run([disorder, "--user", "root", "users"], env=env,
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0 and "root" in p.stdout.split(), p
            wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read() == f"{proc.pid}\n",
                     "the pidfile")
        finally:
            terminate(proc, "the installed disorderd")
        assert proc.returncode == 0, proc.returncode
        assert not os.path.exists(pidfile), "the pidfile outlived the server"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_config(path, env=None):
    return subprocess.run([DISORDERD, "--check-config", "--config", path], capture_output=True,
                          text=True, timeout=30, env=env)


@test
def check_config_accepts_a_good_configuration():
    s = Server(extra_config="queue_pad 3\ncheckpoint_kbyte 64\n")
    try:
        p = check_config(s.config_path)
        assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p
        # An item of DisOrder's that is ignored gets a note.
        assert p.stderr.startswith(f"{s.config_path}: note: configuration item "
                                   "checkpoint_kbyte is ignored ("), p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr
        # Nothing was started or made.
        assert not os.path.exists(s.home), os.listdir(s.home)
    finally:
        s.cleanup()


@test
def check_config_lists_every_bad_line_with_file_and_line():
    s = Server()
    try:
        good = s.config_text()
        lines = good.count("\n")
        included = os.path.join(s.dir, "more")
        with open(included, "w") as f:
            f.write("# more\nhistory lots\n")
        s.write_config(good + "qeue_pad 3\n" + f"include {included}\n"
                       + f"include {s.dir}/missing\n" + "replay_min -1\n")
        with open(s.config_path + ".private", "w") as f:
            f.write("\n\nnot_an_item\n")
        p = check_config(s.config_path)
        assert p.returncode == 1 and p.stdout == "", p
        errors = p.stderr.splitlines()
        c = s.config_path
        assert errors[0] == f"{c}:{lines + 1}: unknown configuration item 'qeue_pad'", errors
        assert errors[1].startswith(f"{included}:2: history: "), errors
        assert errors[2] == (f"{c}:{lines + 3}: include: cannot open {s.dir}/missing: "
                             "No such file or directory"), errors
        assert errors[3].startswith(f"{c}:{lines + 4}: replay_min: "), errors
        assert errors[4] == f"{c}.private:3: unknown configuration item 'not_an_item'", errors
        assert errors[5:] == ["disorderd: 5 errors in the configuration"], errors
        # The server itself stops at the first.
        p = subprocess.run([DISORDERD, "--foreground", "--config", c], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 1 and f"{c}:{lines + 1}: unknown configuration item" in p.stderr, p
    finally:
        s.cleanup()


@test
def check_config_judges_what_the_server_judges_at_start():
    s = Server(extra_config='namepart title "([" $1\nuser no-such-account-here\n')
    try:
        p = check_config(s.config_path)
        assert p.returncode == 1, p
        errors = p.stderr.splitlines()
        assert errors[0].startswith(f"{s.config_path}: namepart title: "), errors
        assert errors[1:] == [f"{s.config_path}: user: no such user 'no-such-account-here'",
                              "disorderd: 2 errors in the configuration"], errors
        s.write_config(s.config_text().replace("user no-such-account-here\n", "")
                       .replace('namepart title "([" $1\n', "") + "api command\n")
        p = check_config(s.config_path)
        assert p.returncode == 1, p
        assert p.stderr.splitlines() == [
            f"{s.config_path}: api command needs a speaker_command",
            "disorderd: 1 error in the configuration"], p.stderr
        p = check_config(os.path.join(s.dir, "absent"))
        assert p.returncode == 1, p
        assert p.stderr.splitlines() == [
            f"cannot open {s.dir}/absent: No such file or directory",
            "disorderd: 1 error in the configuration"], p.stderr
    finally:
        s.cleanup()


def syslog_unreachable_wrapper(work):
    """argv to put before a command so that nothing listens on /dev/log, and
    the reason the log will give: where there is no /dev/log, nothing; else
    a mount namespace where an empty file covers it (root only)."""
    if not os.path.exists("/dev/log"):
        return [], "/dev/log: No such file or directory"
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("this system has a /dev/log, and hiding it needs root and unshare(1)")
    empty = os.path.join(work, "not-a-socket")
    open(empty, "w").close()
    return (["unshare", "--mount", "--propagation", "private", "sh", "-c",
             f'mount --bind "{empty}" /dev/log && exec "$@"', "sh"],
            "/dev/log: Connection refused")


@test
def syslog_without_a_listener_falls_back_to_stderr_with_one_warning():
    s = Server()
    try:
        s.wrapper, reason = syslog_unreachable_wrapper(s.dir)
        s.proc = None
        log_path = os.path.join(s.dir, "disorderd.log")
        s.log = open(log_path, "a")
        s.proc = subprocess.Popen([*s.wrapper, DISORDERD, "--foreground", "--syslog",
                                   "--config", s.config_path],
                                  stdout=s.log, stderr=subprocess.STDOUT)
        wait_for(lambda: "listening on" in s.log_text() or s.proc.poll() is not None,
                 "the server to say it listens")
        s.stop()
        lines = s.log_text().splitlines()
        warning = (f"disorderd: WARNING: cannot log to syslog ({reason}): "
                   "logging to standard error instead")
        assert lines[0] == warning, lines
        assert lines.count(warning) == 1, lines
        assert f"disorderd: listening on {s.socket_path}" in lines, lines
        assert "disorderd: stopped" in lines, lines
    finally:
        s.cleanup()


@test
def in_the_background_without_syslog_the_starter_is_told():
    s = Server()
    work = s.dir
    try:
        wrapper, reason = syslog_unreachable_wrapper(work)
        pidfile = os.path.join(run_dir(work), "pid")
        p = subprocess.run([*wrapper, DISORDERD, "--config", s.config_path, "--pidfile", pidfile],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p
        pid = int(open(pidfile).read())
        try:
            # What it logs before it has started follows.
            assert p.stderr.splitlines()[:2] == [
                f"disorderd: WARNING: cannot log to syslog ({reason}): "
                "logging to standard error instead",
                "disorderd: WARNING: in the background, what the server logs after it has "
                "started is lost: start it with --foreground to keep the log on standard error",
            ], p.stderr
        finally:
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists(pidfile), "the pidfile to go")
    finally:
        s.cleanup()


@test
def log_level_chooses_what_is_logged():
    # A client that does not log in within login_timeout is dropped, with
    # a debugging message.
    s = Server(extra_config="login_timeout 1\n")
    try:
        p = subprocess.run([DISORDERD, "--log-level", "loud", "--config", s.config_path],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, p
        assert p.stderr == ("disorderd: unknown log level 'loud' (error, warning, info or "
                            "debug)\n"), p.stderr
        dropped = "disorderd: DEBUG: dropping local: no login within login_timeout"
        for args in (["--log-level", "error"], [], ["--log-level", "info"], ["--debug"],
                     ["--log-level", "debug"]):
            log_path = os.path.join(s.dir, "disorderd-level.log")
            with open(log_path, "w") as log:
                proc = subprocess.Popen([DISORDERD, "--foreground", *args,
                                         "--config", s.config_path],
                                        stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: os.path.exists(s.socket_path), "the server to listen")
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                    c.settimeout(20)
                    c.connect(s.socket_path)
                    while c.recv(4096):
                        pass  # the greeting, the refusal, then the end
                with closing(s.root()) as r:
                    r.ok("nop")
            finally:
                terminate(proc, "disorderd")
            with open(log_path) as f:
                # The helpers (rescan, speaker) write here too.
                lines = [line for line in f.read().splitlines()
                         if line.startswith("disorderd: ")]
            level = args[-1] if args and args[0] == "--log-level" else \
                "debug" if args else "info"
            if level == "error":
                assert all(line.startswith("disorderd: ERROR: ") for line in lines), lines
            else:
                assert f"disorderd: listening on {s.socket_path}" in lines, (args, lines)
            assert (dropped in lines) == (level == "debug"), (args, lines)
    finally:
        s.cleanup()


@test
def pidfile_is_removed_when_the_server_stops():
    s = Server()
    try:
        pidfile = os.path.join(s.dir, "run", "disorderd.pid")
        os.mkdir(os.path.dirname(pidfile))
        if os.geteuid() == 0:
            # The server runs as nobody, who may not remove what is in a
            # directory that only root may write: the pidfile is emptied.
            os.chmod(os.path.dirname(pidfile), 0o755)
        else:
            os.chmod(os.path.dirname(pidfile), 0o700)
        s.log = open(os.path.join(s.dir, "disorderd.log"), "a")
        s.proc = subprocess.Popen([DISORDERD, "--foreground", "--config", s.config_path,
                                   "--pidfile", pidfile], stdout=s.log, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read() == f"{s.proc.pid}\n",
                 "the pidfile")
        assert stat.S_IMODE(os.stat(pidfile).st_mode) == 0o644
        # A second server on the same home fails and leaves the pidfile as
        # it is.
        p = subprocess.run([DISORDERD, "--foreground", "--config", s.config_path, "--pidfile",
                            pidfile], capture_output=True, text=True, timeout=30)
        assert p.returncode == 1 and "another disorderd is already running" in p.stderr, p
        assert open(pidfile).read() == f"{s.proc.pid}\n"
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(10) == 0, s.log_text()
        s.proc = None
        if os.geteuid() == 0:
            assert open(pidfile).read() == "", "the pidfile was not emptied"
            assert (f"disorderd: WARNING: cannot remove pidfile {pidfile} (Permission denied): "
                    "emptied it instead") in s.log_text().splitlines(), s.log_text()
        else:
            assert not os.path.exists(pidfile), "the pidfile outlived the server"
    finally:
        s.cleanup()


def fake_source_tree(work):
    """A source tree with a copy of scripts/build, whose configure, make
    distclean and build record what they are asked to do."""
    top = os.path.join(work, "top")
    os.makedirs(os.path.join(top, "scripts"))
    shutil.copy(os.path.join(SRCDIR, "scripts", "build"), os.path.join(top, "scripts"))
    for name in ("configure.ac", "Makefile.am", "Makefile.in"):
        open(os.path.join(top, name), "w").close()
    with open(os.path.join(top, "configure"), "w") as f:
        f.write('#!/bin/sh\n'
                '[ -f "$(dirname "$0")/config.status" ] && '
                '{ echo "configure: error: source directory already configured"; exit 1; }\n'
                'echo "$*" > configure.args\n'
                'printf "all:\\n\\t@echo built in build\\n" > Makefile\n')
    os.chmod(os.path.join(top, "configure"), 0o755)
    # Newer than configure.ac and Makefile.am: no autoreconf.
    later = time.time() + 10
    for name in ("configure", "Makefile.in"):
        os.utime(os.path.join(top, name), (later, later))
    return top


def configure_in_place(top):
    with open(os.path.join(top, "config.status"), "w") as f:
        f.write("#!/bin/sh\n[ \"$1\" = --config ] && echo \"'--prefix=/opt/jukebox'\"\n")
    os.chmod(os.path.join(top, "config.status"), 0o755)
    with open(os.path.join(top, "Makefile"), "w") as f:
        f.write("distclean:\n\trm -f config.status Makefile\n\ttouch distcleaned\n")


@test
def build_script_cleans_a_source_tree_configured_in_place():
    work = tempfile.mkdtemp(prefix="disorder-build-script-")
    try:
        top = fake_source_tree(work)
        configure_in_place(top)
        p = subprocess.run([os.path.join(top, "scripts", "build")], capture_output=True,
                           text=True, timeout=60, env=make_environment())
        assert p.returncode == 0, p
        assert p.stdout.splitlines() == [
            "The source tree was configured in place ('--prefix=/opt/jukebox'); cleaning it",
            "with 'make distclean' so that the build can go to build/.",
            "What 'make install' installed is left alone; to build in place again:",
            "  ./configure '--prefix=/opt/jukebox'",
            "built in build",
        ], p.stdout
        assert os.path.exists(os.path.join(top, "distcleaned"))
        assert not os.path.exists(os.path.join(top, "config.status"))
        assert open(os.path.join(top, "build", "configure.args")).read() == "--enable-werror\n"
        # Once clean, it says nothing more.
        p = subprocess.run([os.path.join(top, "scripts", "build")], capture_output=True,
                           text=True, timeout=60, env=make_environment())
        assert p.returncode == 0 and p.stdout == "built in build\n", p
    finally:
        shutil.rmtree(work, ignore_errors=True)


def deps_list(*args):
    p = subprocess.run([os.path.join(SRCDIR, "scripts", "deps"), "--list", *args],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    return p.stdout.split()


@test
def deps_keeps_test_packages_out_of_the_build_list():
    build, run, tests, default = deps_list("--build"), deps_list("--run"), deps_list("--test"), \
        deps_list()
    for package in ("libevent-dev", "libsqlite3-dev", "libtag1-dev", "g++", "pkg-config"):
        assert package in build, (package, build)
    for package in ("libgtest-dev", "ffmpeg", "sox", "gstreamer1.0-tools", "chromium",
                    "python3-selenium", "firefox-esr", "python3-mutagen"):
        assert package not in build and package not in run, package
        assert package in tests, (package, tests)
    # scripts/check's default: build and test, each package once.
    assert default == build + [p for p in tests if p not in build], default
    assert len(default) == len(set(default)), default
    p = subprocess.run([os.path.join(SRCDIR, "scripts", "deps"), "--bogus"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and p.stderr.startswith("usage: scripts/deps"), p


@test
def quickstart_run_again_says_the_demo_is_running():
    work = scratch_dir("disorder-quickstart-")
    try:
        top = os.path.join(work, "top")
        os.makedirs(os.path.join(top, "scripts"))
        os.makedirs(os.path.join(top, "demo", "run"))
        os.chmod(os.path.join(top, "demo"), 0o755)
        os.chmod(os.path.join(top, "demo", "run"), 0o777)
        shutil.copy(os.path.join(SRCDIR, "scripts", "quickstart"), os.path.join(top, "scripts"))
        quickstart = os.path.join(top, "scripts", "quickstart")
        demo = os.path.join(top, "demo")
        pidfile = os.path.join(demo, "run", "disorderd.pid")
        # The demo's server: a real disorderd on the demo's home.
        s = Server()
        s.home = os.path.join(demo, "home")
        s.write_config()
        try:
            s.log = open(os.path.join(s.dir, "disorderd.log"), "a")
            s.proc = subprocess.Popen([DISORDERD, "--foreground", "--config", s.config_path,
                                       "--pidfile", pidfile], stdout=s.log,
                                      stderr=subprocess.STDOUT)
            wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
                     "the demo's pidfile")
            pid = s.proc.pid
            # There is no scripts/deps nor scripts/build in this tree: a
            # quickstart that went on to build would fail.
            p = subprocess.run([quickstart], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p
            lines = p.stdout.splitlines()
            assert lines[0] == f"The demo is already running (disorderd, pid {pid}, on {demo}/home).", lines
            assert lines[-2:] == ["To stop it, press Ctrl-C in the terminal where "
                                  "scripts/quickstart runs, or:", f"  kill {pid}"], lines
            # Without its pidfile, the lock on its home still shows it.
            os.unlink(pidfile)
            p = subprocess.run([quickstart], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p
            lines = p.stdout.splitlines()
            assert lines[0] == f"The demo is already running (disorderd, on {demo}/home).", lines
            assert lines[-1] == ("To stop it, press Ctrl-C in the terminal where "
                                 "scripts/quickstart runs"), lines
        finally:
            s.stop()
        # Stopped: quickstart goes on to install and build (and fails here).
        p = subprocess.run([quickstart], capture_output=True, text=True, timeout=60)
        assert "already running" not in p.stdout and p.returncode != 0, p
        shutil.rmtree(s.dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


try:
    run_tests()
finally:
    cleanup_installation()
