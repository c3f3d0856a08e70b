#!/usr/bin/env python3
"""The disorder command line as scripts written for DisOrder's `disorder`
see it, against a real disorderd: DisOrder's output formats by default
(queue, recent, playing, prefs, rtp-address), the --table and --json
forms, the --no-per-user-config and --local options, and the commands
disable-random and enable-random."""
import json
import os
import re
import subprocess
import time

import audio
from audio import Events
from harness import (DISORDER, Server, free_udp_port, run_tests, test, track_info as raw,
                     wait_for)

# A fixed zone three hours east of UTC, so that the expected local times
# are known whatever the machine's zone (a POSIX TZ string: no zone files).
TZ = "XYZ-3"


def local(seconds):
    """A time as DisOrder's disorder prints it under TZ (ctime(3)'s form)."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(int(seconds) + 3 * 3600))


TIME = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"


def cli(server, *args, check=True, env=None, user=None, password=None):
    """The CLI as root (privileged socket) or as user, in zone TZ."""
    e = server.cli_env(user, password)
    e["TZ"] = TZ
    e.update(env or {})
    if user is None:
        args = ("--user", "root") + args
    p = subprocess.run([DISORDER, *args], env=e, capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise AssertionError(f"disorder {args} exited {p.returncode}: {p.stderr}")
    return p


def out(server, *args, **kw):
    return cli(server, *args, **kw).stdout


@test
def queue_recent_and_playing_print_disorders_form_by_default():
    with audio.Jukebox() as s:
        a = s.track("A/01 first track.wav", 30.0)
        b = s.track("B/second one.wav", 0.3)
        s.rescan()
        s.add_user("amy", "amypw", "read,play,pause,scratch_any")
        events = Events(s)
        cli(s, "disable")
        # idle: "nothing", and success
        p = cli(s, "playing")
        assert (p.stdout, p.stderr) == ("nothing\n", ""), p
        assert out(s, "queue") == "" and out(s, "recent") == ""
        cli(s, "play", a, b, user="amy", password="amypw")
        q = raw(s, "queue")
        text = out(s, "queue")
        # the expected start is worked out afresh at each query
        want = ""
        for e in q:
            want += (f"track {e['track']}\n  id {e['id']}\n"
                     f"  picked by amy at {local(e['when'])}\n"
                     f"  might start at TIME\n  unplayed\n")
        assert re.fullmatch(re.escape(want).replace("TIME", TIME), text), text
        cli(s, "enable")
        events.wait("playing", a, "amy")
        cli(s, "pause", user="amy", password="amypw")
        events.wait("state", "pause")
        [e] = raw(s, "playing")  # paused: sofar stays put
        assert out(s, "playing") == (f"track {a}\n  id {e['id']}\n"
                                     f"  picked by amy at {local(e['when'])}\n"
                                     f"  played at {local(e['played'])}\n"
                                     f"  {e['sofar']}s so far  paused\n")
        ida = e["id"]
        cli(s, "resume", user="amy", password="amypw")
        events.wait("state", "resume")
        assert out(s, "playing").endswith("s so far  started\n")
        cli(s, "scratch", user="amy", password="amypw")
        events.wait("completed", b)
        wait_for(lambda: len(raw(s, "recent")) == 2, "both tracks in recent")
        ra, rb = raw(s, "recent")
        assert out(s, "recent") == (
            f"track {a}\n  id {ida}\n  picked by amy at {local(ra['when'])}\n"
            f"  played at {local(ra['played'])}\n  scratched by amy\n"
            f"track {b}\n  id {rb['id']}\n  picked by amy at {local(rb['when'])}\n"
            f"  played at {local(rb['played'])}\n  ok\n")
        assert out(s, "playing") == "nothing\n"
        events.close()


@test
def random_adopted_and_failed_entries_in_disorders_form():
    with audio.Jukebox("queue_pad 1\n") as s:
        s.track("r.wav", 0.3)
        bad = os.path.join(s.music, "bad.wav")
        with open(bad, "wb") as f:
            f.write(b"RIFF but no audio in it" * 8)
        s.add_user("amy", "amypw", "read,play")
        cli(s, "disable", "random-disable")
        s.rescan()
        cli(s, "random-enable")
        [pick] = raw(s, "queue")
        # a random pick has no submitter, so no "picked by" line
        lines = out(s, "queue").splitlines()
        assert lines[:2] == [f"track {pick['track']}", f"  id {pick['id']}"], lines
        assert lines[-1] == "  unplayed" and not any(" by " in x for x in lines), lines
        cli(s, "adopt", pick["id"], user="amy", password="amypw")
        assert f"  adopted by amy at {local(pick['when'])}" in out(s, "queue").splitlines()
        cli(s, "random-disable", "play", bad)
        events = Events(s)
        cli(s, "enable")
        # The random pick may be the broken track too, and play before it:
        # wait for root's own entry, the last to play.
        wait_for(lambda: any(e["state"] == "failed" and e.get("submitter") == "root"
                             for e in raw(s, "recent")), "root's broken track to fail")
        text = out(s, "recent")
        last = text[text.rindex("track "):]
        failed = raw(s, "recent")[-1]
        want = (f"track {bad}\n  id {failed['id']}\n  picked by root at {local(failed['when'])}\n"
                f"  played at {local(failed['played'])}\n  failed\n")
        status = int(failed.get("wstat", "0"))
        if status >> 8:
            want += f"  exited with status {status >> 8}\n"
        assert last == want, (last, want)
        events.close()


@test
def table_option_prints_aligned_columns():
    with audio.Jukebox() as s:
        t1 = s.track("A/01 first track.wav")
        t2 = s.track("B/third one.wav")
        s.rescan()
        cli(s, "disable", "play", t1, t2)
        q = raw(s, "queue")
        assert out(s, "--table", "queue") == (f"{q[0]['id']}  unplayed  picked  root  {t1}\n"
                                              f"{q[1]['id']}  unplayed  picked  root  {t2}\n")
        # nothing playing: nothing printed
        assert out(s, "--table", "playing", "recent") == ""
        cli(s, "set", t1, "weight", "7", "set", t1, "trackname_display_album", "Two Words")
        assert out(s, "--table", "prefs", t1) == "trackname_display_album Two Words\nweight 7\n"
        # the default is DisOrder's form
        assert out(s, "prefs", t1) == "trackname_display_album = Two Words\nweight = 7\n"
        # the last of --table and --json wins
        assert out(s, "--json", "--table", "recent") == ""


@test
def json_option_prints_one_value_a_line():
    with audio.Jukebox() as s:
        a = s.track("a.wav", 30.0)
        b = s.track("b \"quoted\" \\ name.wav", 0.3)
        s.rescan()
        events = Events(s)
        cli(s, "disable")
        assert json.loads(out(s, "--json", "playing")) is None
        assert json.loads(out(s, "--json", "queue")) == []
        cli(s, "play", a, b)
        q = raw(s, "queue")
        got = json.loads(out(s, "--json", "queue"))
        assert [e["id"] for e in got] == [e["id"] for e in q], got
        assert [e["track"] for e in got] == [a, b], got
        assert got[0]["submitter"] == "root" and got[0]["origin"] == "picked", got
        assert got[0]["state"] == "unplayed" and got[0]["when"] == int(q[0]["when"]), got
        cli(s, "enable")
        events.wait("playing", a)
        cli(s, "pause")
        events.wait("state", "pause")
        [p] = raw(s, "playing")
        playing = json.loads(out(s, "--json", "playing"))
        assert playing["id"] == p["id"] and playing["state"] == "paused", playing
        assert playing["sofar"] == int(p["sofar"]) and playing["played"] == int(p["played"])
        cli(s, "scratch")
        events.wait("completed", b)
        wait_for(lambda: len(raw(s, "recent")) == 2, "both tracks in recent")
        recent = json.loads(out(s, "--json", "recent"))
        assert [(e["track"], e["state"]) for e in recent] == [(a, "scratched"), (b, "ok")]
        assert recent[0]["scratched"] == "root", recent
        # several commands: one JSON value a line each
        cli(s, "set", b, "weight", "7", "set", b, "note", 'say "hi"\\ now')
        lines = out(s, "--json", "prefs", b, "get", b, "weight", "enabled", "random-enabled",
                    "users", "get-volume", "files", s.music, "tags", "version").splitlines()
        values = [json.loads(line) for line in lines]
        assert values[0]["weight"] == "7" and values[0]["note"] == 'say "hi"\\ now', values
        assert values[1:5] == ["7", True, True, ["root"]], values
        assert values[5] == {"left": "100", "right": "100"}, values
        assert values[6] == sorted([a, b]) and values[7] == [], values
        assert isinstance(values[8], str) and values[8], values
        # commands that report nothing print nothing
        assert out(s, "--json", "set-global", "k", "v", "nop") == ""
        events.close()


@test
def rtp_address_prints_address_and_port_lines():
    port = free_udp_port()
    with Server(f"broadcast 127.0.0.1 {port}\n") as s:
        assert out(s, "rtp-address") == f"address: 127.0.0.1\nport: {port}\n"
        assert out(s, "--table", "rtp-address") == f"127.0.0.1 {port}\n"
        assert json.loads(out(s, "--json", "rtp-address")) == {"address": "127.0.0.1",
                                                                "port": str(port)}
    with Server("api rtp\nrtp_mode request\n") as s:
        assert out(s, "rtp-address") == "address: -\nport: -\n"


@test
def disable_random_and_enable_random():
    with Server() as s:
        s.add_user("gp", "gppw", "read,global_prefs")
        cli(s, "disable-random", user="gp", password="gppw")
        assert out(s, "random-enabled") == "no\n"
        cli(s, "enable-random", user="gp", password="gppw")
        assert out(s, "random-enabled") == "yes\n"
        help_text = out(s, "--help-commands")
        assert "disable-random" in help_text and "enable-random" in help_text


@test
def no_per_user_config_reads_only_the_system_files():
    with Server() as s:
        s.add_user("bob", "bobpw", "read")
        bogus = os.path.join(s.dir, "bogus")
        with open(bogus, "w") as f:
            f.write("no_such_item 1\n")
        os.chmod(bogus, 0o600)
        base = dict(os.environ, DISORDER_CONFIG=s.config_path, TZ=TZ)
        base.pop("DISORDER_HOME", None)
        base.pop("DISORDER_PRIVCONFIG", None)
        home = os.path.join(s.dir, "h")
        os.makedirs(os.path.join(home, ".disorder"))
        os.symlink(bogus, os.path.join(home, ".disorder", "passwd"))
        empty_home = os.path.join(s.dir, "empty")
        os.makedirs(empty_home)

        def run(*args, **env):
            e = dict(base, HOME=empty_home)
            e.update(env)
            return subprocess.run([DISORDER, *args], env=e, capture_output=True, text=True,
                                  timeout=30)
        # Each per-user file is read without the option and skipped with it:
        # ~/.disorder/passwd, DISORDER_USERCONFIG, -u, DISORDER_USERCONFIG_SYS.
        for args, env in (((), {"HOME": home}), ((), {"DISORDER_USERCONFIG": bogus}),
                          (("-u", bogus), {}), ((), {"DISORDER_USERCONFIG_SYS": bogus})):
            p = run(*args, "--user", "root", "version", **env)
            assert p.returncode == 1 and "no_such_item" in p.stderr, (args, env, p)
            for option in ("--no-per-user-config", "-N"):
                p = run(option, *args, "--user", "root", "version", **env)
                assert p.returncode == 0 and p.stdout.strip(), (option, args, env, p)
        # The user name then is the caller's login (root here, through the
        # privileged socket), not the per-user file's.
        userconf = os.path.join(s.dir, "bob-passwd")
        with open(userconf, "w") as f:
            f.write("username bob\npassword bobpw\n")
        os.chmod(userconf, 0o600)
        p = run("userinfo", "root", "rights", DISORDER_USERCONFIG=userconf)
        assert p.returncode == 1 and "Prohibited" in p.stderr, p
        p = run("--no-per-user-config", "userinfo", "root", "rights", DISORDER_USERCONFIG=userconf)
        assert p.returncode == 0 and "admin" in p.stdout, p
        # The system file's private companion is still read.
        with open(s.config_path + ".private", "w") as f:
            f.write("no_such_private_item 1\n")
        p = run("--no-per-user-config", "--user", "root", "version")
        assert p.returncode == 1 and "no_such_private_item" in p.stderr, p


@test
def local_ignores_the_configured_connect():
    with Server() as s:
        s.add_user("bob", "bobpw", "read")
        # A connect address where nothing listens: port 1 of loopback.
        config = os.path.join(s.dir, "remote-config")
        with open(config, "w") as f:
            f.write(f"home {s.home}\nconnect 127.0.0.1 1\n")
        p = cli(s, "-c", config, "version", check=False, user="bob", password="bobpw")
        assert p.returncode == 1 and p.stderr.startswith("disorder: "), p
        for option in ("--local", "-l"):
            p = cli(s, option, "-c", config, "users", user="bob", password="bobpw")
            assert p.stdout == "bob\nroot\n", p
        # root without a password: the privileged socket, as locally
        assert out(s, "-l", "-c", config, "userinfo", "bob", "rights") == "read\n"


run_tests()
