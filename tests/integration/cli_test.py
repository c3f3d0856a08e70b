#!/usr/bin/env python3
"""The disorder command line against a real disorderd: output formats,
several commands per invocation, errors and exit statuses, the privileged
socket, TCP, and following the event log."""
import os
import subprocess

from harness import DISORDER, Server, closing, run_tests, test


@test
def version_and_no_command():
    s = Server()
    try:
        s.start()
        p = s.cli("--user", "root", "version")
        assert p.stdout.strip() and p.stdout.count("\n") == 1, p.stdout
        assert s.cli("--user", "root").returncode == 0
        s.stop()
        # server gone: connecting fails with a message and status 1
        p = s.cli("--user", "root", "version", check=False)
        assert p.returncode == 1 and p.stderr.startswith("disorder: "), (p.returncode, p.stderr)
    finally:
        s.cleanup()


@test
def local_root_administers_without_a_password():
    with Server() as s:
        s.cli("--user", "root", "adduser", "alice", "alicepw", "read,play,global_prefs")
        p = s.cli("--user", "root", "users")
        assert p.stdout.splitlines() == ["alice", "root"], p.stdout
        p = s.cli("--user", "root", "userinfo", "alice", "rights")
        assert p.stdout == "read,play,global prefs\n", p.stdout
        root_pw = s.cli("--user", "root", "userinfo", "root", "password").stdout.strip()
        assert len(root_pw) >= 16, root_pw
        # the same root password works over TCP, from the configuration
        with open(os.path.join(s.dir, "tcp-config"), "w") as f:
            f.write(f"connect 127.0.0.1 {s.port}\n")
        p = s.cli("--user", "root", "--password", root_pw, "-c", os.path.join(s.dir, "tcp-config"),
                  "version")
        assert p.returncode == 0


@test
def user_with_password_file_and_several_commands():
    with Server() as s:
        s.add_user("bob", "bobpw", "read,global_prefs")
        p = s.cli("enabled", "random-enabled", user="bob", password="bobpw")
        assert p.stdout == "yes\nyes\n", p.stdout
        s.cli("set-global", "motd", "hello world", "disable", user="bob", password="bobpw")
        p = s.cli("get-global", "motd", "enabled", user="bob", password="bobpw")
        assert p.stdout == "hello world\nno\n", p.stdout
        s.cli("unset-global", "motd", "enable", user="bob", password="bobpw")
        p = s.cli("get-global", "motd", user="bob", password="bobpw", check=False)
        assert p.returncode == 1 and p.stderr.startswith("disorder: "), p


@test
def refusals_print_the_server_message_and_exit_1():
    with Server() as s:
        s.add_user("carol", "carolpw", "read")
        p = s.cli("version", user="carol", password="wrong", check=False)
        assert p.returncode == 1 and "authentication failed" in p.stderr, p
        p = s.cli("disable", user="carol", password="carolpw", check=False)
        assert p.returncode == 1 and "Prohibited" in p.stderr, p
        p = s.cli("--user", "root", "adduser", "carol", "x", check=False)
        assert p.returncode == 1 and "already exists" in p.stderr, p


@test
def usage_errors_exit_2():
    with Server() as s:
        for args in (["frobnicate"], ["adduser", "onlyname"], ["--no-such-option"]):
            p = s.cli(*args, check=False)
            assert p.returncode == 2, (args, p.returncode, p.stderr)
            assert p.stderr, args
        p = s.cli("--help-commands")
        assert "adduser" in p.stdout and "set-global" in p.stdout, p.stdout
        assert "disorder" in s.cli("--help").stdout


@test
def log_follows_events_until_the_server_stops():
    with Server() as s:
        env = dict(os.environ, DISORDER_CONFIG=s.config_path)
        env["DISORDER_USERCONFIG"] = os.path.join(s.dir, "none")
        log = subprocess.Popen([DISORDER, "--user", "root", "log"], env=env,
                               stdout=subprocess.PIPE, text=True)
        try:
            first = log.stdout.readline()
            assert first.split()[1:] == ["state", "enable_play"], first
            log.stdout.readline()  # state enable_random
            log.stdout.readline()  # volume
            s.cli("--user", "root", "set-global", "k", "v")
            line = log.stdout.readline()
            while line.split()[1] in ("rescan_progress", "rescanned"):
                line = log.stdout.readline()
            assert line.split()[1:] == ["global_pref", "k", "v"], line
            s.cli("--user", "root", "shutdown")
            assert log.wait(10) == 0
        finally:
            if log.poll() is None:
                log.kill()


@test
def cookies_from_the_cli():
    with Server() as s:
        s.add_user("dave", "davepw")
        cookie = s.cli("make-cookie", user="dave", password="davepw").stdout.strip()
        assert cookie.startswith("v1/"), cookie
        with closing(s.connect()) as c:
            assert c.command("cookie", cookie)[:2] == (232, "dave")


run_tests()
