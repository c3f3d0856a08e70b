#!/usr/bin/env python3
"""What the disorder command line says when something is wrong: a named
configuration file that is missing, no server at the configured address,
words left over after a command, a misspelt command, and the server's
refusals (what was not found, which right is missing); and track and
directory names relative to the collection roots."""
import os
import re
import subprocess

from audio import Jukebox
from harness import DISORDER, Server, closing, free_port, run_tests, test


def run(*args, env=None, **more):
    """Runs the CLI with env (default: this environment) updated by more."""
    e = dict(os.environ if env is None else env)
    e.pop("DISORDER_HOME", None)
    e.update(more)
    return subprocess.run([DISORDER, *args], env=e, capture_output=True, text=True, timeout=30)


def fails(p, status, message):
    """The CLI exited with status and its first line on stderr was message."""
    assert p.returncode == status, (p.returncode, p.stdout, p.stderr)
    first = p.stderr.splitlines()[0] if p.stderr else ""
    assert first == "disorder: " + message, f"\n got: {first!r}\nwant: {'disorder: ' + message!r}"


def usage_error(*words):
    return run(*words)


@test
def a_configuration_file_named_explicitly_must_exist():
    with Server() as s:
        env = s.cli_env(user="root")
        missing = os.path.join(s.dir, "no-such-config")
        fails(run("--config", missing, "version", env=env), 1,
              f"cannot open the configuration file {missing} (named by --config): "
              "No such file or directory")
        fails(run("-u", missing, "version", env=env), 1,
              f"cannot open the configuration file {missing} (named by --user-config): "
              "No such file or directory")
        fails(run("version", env=env, DISORDER_CONFIG=missing), 1,
              f"cannot open the configuration file {missing} (named by DISORDER_CONFIG): "
              "No such file or directory")
        # A directory is not a file either.
        fails(run("--config", s.dir, "version", env=env), 1,
              f"cannot read {s.dir}: Is a directory")
        # $DISORDER_USERCONFIG names the optional per-user file, as in
        # DisOrder: pointing it at no file means "no per-user file".
        p = run("--user", "root", "version", env=env, DISORDER_USERCONFIG=missing)
        assert p.returncode == 0 and p.stderr == "", p


@test
def no_server_says_where_it_looked_and_why_there():
    s = Server()
    try:
        env = s.cli_env()
        # Local, no password: the privileged socket under `home`.
        fails(run("--user", "root", "version", env=env), 1,
              f"disorderd does not seem to be running at {s.private_socket_path} (cannot "
              f"connect: No such file or directory); that address comes from 'home' at "
              f"{s.config_path}:1")
        # With a password: the public socket.
        env = s.cli_env(user="bob", password="pw")
        fails(run("version", env=env), 1,
              f"disorderd does not seem to be running at {s.socket_path} (cannot connect: No "
              f"such file or directory); that address comes from 'home' at {s.config_path}:1")
        # TCP: the host and port, from the line that set them.
        tcp_config = os.path.join(s.dir, "tcp-config")
        port = free_port()
        with open(tcp_config, "w") as f:
            f.write(f"# a comment\nconnect 127.0.0.1 {port}\n")
        fails(run("-c", tcp_config, "version", env=env), 1,
              f"disorderd does not seem to be running at 127.0.0.1 port {port} (cannot "
              f"connect: Connection refused); that address comes from 'connect' at "
              f"{tcp_config}:2")
        # --local ignores `connect`, and says so.
        check_local_failure(run("-c", tcp_config, "--local", "version", env=env))
        # No file sets home: the default.
        empty = os.path.join(s.dir, "empty-config")
        open(empty, "w").close()
        p = run("-c", empty, "--user", "root", "version", env=s.cli_env())
        assert p.returncode == 1, p
        assert re.fullmatch(r"disorder: disorderd does not seem to be running at /\S+/private/"
                            r"socket \(cannot connect: No such file or directory\); that is the "
                            r"default address \(no configuration file sets 'home' or "
                            r"'connect'\)\n", p.stderr), p.stderr
    finally:
        s.cleanup()


def check_local_failure(p):
    """The --local failure: the default home, and that connect was ignored."""
    assert p.returncode == 1, p
    assert re.fullmatch(r"disorder: disorderd does not seem to be running at /\S+/socket "
                        r"\(cannot connect: No such file or directory\); that is the default "
                        r"address \(no configuration file sets 'home'\); --local ignores "
                        r"'connect'\n", p.stderr), p.stderr


@test
def extra_words_are_blamed_on_the_command_they_follow():
    fails(usage_error("search", "low", "tone"), 2,
          "'search' takes 1 argument (usage: search TERMS); 'tone' is not a command (quote "
          "arguments that contain spaces: disorder search 'low tone')")
    # Several stray words, up to the next command, join the quoted form.
    fails(usage_error("get-global", "motd", "of", "the", "day", "queue"), 2,
          "'get-global' takes 1 argument (usage: get-global KEY); 'of' is not a command (quote "
          "arguments that contain spaces: disorder get-global 'motd of the day')")
    fails(usage_error("set", "A/t.wav", "tag", "x", "y"), 2,
          "'set' takes 3 arguments (usage: set TRACK KEY VALUE); 'y' is not a command (quote "
          "arguments that contain spaces: disorder set A/t.wav tag 'x y')")
    fails(usage_error("enable", "please"), 2,
          "'enable' takes no arguments (usage: enable); 'please' is not a command")
    # A count is not text: no quoting advice.
    fails(usage_error("set-volume", "10", "20", "30"), 2,
          "'set-volume' takes at most 2 arguments (usage: set-volume LEFT [RIGHT]); '30' is not "
          "a command")
    # An optional argument the command does not take.
    fails(usage_error("rescan", "wait"), 2,
          "'wait' is not a command, nor an argument that 'rescan' takes (usage: rescan [--wait] "
          "[--fresh])")
    fails(usage_error("disable", "nwo"), 2,
          "'nwo' is not a command, nor an argument that 'disable' takes (usage: disable [now])")
    # A misspelt command after a complete one is suggested too.
    fails(usage_error("enable", "queu"), 2,
          "'enable' takes no arguments (usage: enable); 'queu' is not a command; did you mean "
          "'queue'?")
    # The usage summary follows the error, as for any bad command line.
    p = usage_error("search", "low", "tone")
    assert p.stderr.splitlines()[1] == "Usage: disorder [OPTIONS] [--] [COMMANDS...]", p.stderr


@test
def unknown_commands_suggest_the_nearest():
    fails(usage_error("queu"), 2, "unknown command 'queu'; did you mean 'queue'?")
    fails(usage_error("plya", "x"), 2, "unknown command 'plya'; did you mean 'play'?")
    fails(usage_error("pet", "x"), 2, "unknown command 'pet'; did you mean 'get' or 'set'?")
    fails(usage_error("randon-enable"), 2,
          "unknown command 'randon-enable'; did you mean 'random-enable' or 'random-enabled'?")
    # At most three, nearest first.
    fails(usage_error("set-globl", "k", "v"), 2,
          "unknown command 'set-globl'; did you mean 'set-global', 'get-global' or "
          "'unset-global'?")
    fails(usage_error("xyzzy"), 2, "unknown command 'xyzzy'")


@test
def refusals_say_what_was_not_found_and_which_right_is_missing():
    with Server() as s:
        s.add_user("bob", "bobpw", "read")
        bob = dict(user="bob", password="bobpw", check=False)
        fails(s.cli("get-global", "no-such-key", **bob), 1,
              "not found: global preference 'no-such-key'")
        fails(s.cli("--user", "root", "unset-global", "no-such-key", check=False), 1,
              "not found: global preference 'no-such-key'")
        fails(s.cli("userinfo", "bob", "email", **bob), 1,
              "Not found: property 'email' of user 'bob'")
        fails(s.cli("--user", "root", "userinfo", "nobody-here", "email", check=False), 1,
              "No such user: 'nobody-here'")
        fails(s.cli("length", "/no/such/track.ogg", **bob), 1,
              "not found: track '/no/such/track.ogg'")
        fails(s.cli("get", "/no/such/track.ogg", "weight", **bob), 1,
              "not found: preference 'weight' of track '/no/such/track.ogg'")
        fails(s.cli("set-global", "k", "v", **bob), 1,
              "Prohibited: needs the 'global prefs' right")
        fails(s.cli("shutdown", **bob), 1, "Prohibited: needs the 'admin' right")
        fails(s.cli("userinfo", "root", "rights", **bob), 1,
              "Prohibited: needs the 'admin' right")
        # The command table's right, then what the command itself checks.
        fails(s.cli("edituser", "bob", "rights", "all", **bob), 1,
              "Prohibited: needs the 'admin' or 'userinfo' right")
        s.add_user("cy", "cypw", "read,userinfo")
        fails(s.cli("edituser", "cy", "rights", "all", user="cy", password="cypw", check=False),
              1, "Prohibited: needs the 'admin' right")
        fails(s.cli("set-volume", "50", **bob), 1, "Prohibited: needs the 'volume' right")
        # On the wire the reply still starts with DisOrder's word, which
        # the protocol makes commentary: its clients go by the code.
        with closing(s.connect("bob", "bobpw")) as c:
            assert c.command("set-global", "k", "v")[:2] == \
                (510, "Prohibited: needs the 'global prefs' right")
            assert c.command("get-global", "no-such-key")[:2] == (555, "not found")


def two_roots():
    """A Jukebox with two collections, each with its own tracks and one name
    they share, not started."""
    s = Jukebox()
    s.music2 = os.path.join(s.dir, "music2")
    os.makedirs(s.music2)
    os.chmod(s.music2, 0o755)
    s.extra_config += f"collection fs utf-8 {s.music2}\n"
    s.write_config()
    return s


@test
def names_relative_to_a_collection_root():
    s = two_roots()
    with s:
        one = s.track("Artist/Album/01 one.wav")
        s.track("Shared/same.wav")
        os.makedirs(os.path.join(s.music2, "Other", "Disc"))
        os.makedirs(os.path.join(s.music2, "Shared"))
        with open(one, "rb") as f:
            data = f.read()
        two = os.path.join(s.music2, "Other", "Disc", "two.wav")
        for path in (two, os.path.join(s.music2, "Shared", "same.wav")):
            with open(path, "wb") as f:
                f.write(data)
        s.rescan()
        root = dict(check=False)
        # With no directory, dirs and allfiles list the collection roots.
        p = s.cli("--user", "root", "dirs")
        assert p.stdout.splitlines() == sorted([s.music, s.music2]), p.stdout
        p = s.cli("--user", "root", "allfiles")
        assert p.stdout.splitlines() == sorted([s.music, s.music2]), p.stdout
        # A directory relative to the roots is found under the one that has it.
        p = s.cli("--user", "root", "dirs", "Artist", "dirs", "Other")
        assert p.stdout.splitlines() == [os.path.join(s.music, "Artist", "Album"),
                                         os.path.join(s.music2, "Other", "Disc")], p.stdout
        p = s.cli("--user", "root", "files", "Other/Disc", "allfiles", "Artist/Album", "~one")
        assert p.stdout.splitlines() == [two, one], p.stdout
        # ...and so is a track.
        p = s.cli("--user", "root", "resolve", "Artist/Album/01 one.wav", "exists",
                  "Other/Disc/two.wav", "exists", "Nowhere/x.wav")
        assert p.stdout.splitlines() == [one, "yes", "no"], p.stdout
        s.cli("--user", "root", "disable", "play", "Artist/Album/01 one.wav", "Other/Disc/two.wav")
        p = s.cli("--user", "root", "--table", "queue")
        assert [line.split(None, 4)[4] for line in p.stdout.splitlines()] == [one, two], p.stdout
        # Queue refusals name the rights that would have allowed them.
        s.add_user("amy", "amypw", "read,play,remove mine")
        fails(s.cli("remove", one, user="amy", password="amypw", check=False), 1,
              "Prohibited: needs the 'remove any' right")
        # A name both roots have is refused, with the candidates.
        same1 = os.path.join(s.music, "Shared", "same.wav")
        same2 = os.path.join(s.music2, "Shared", "same.wav")
        fails(s.cli("--user", "root", "play", "Shared/same.wav", **root), 1,
              f"ambiguous track name 'Shared/same.wav': it is in several collections: "
              f"'{same1}' and '{same2}'")
        fails(s.cli("--user", "root", "dirs", "Shared", **root), 1,
              f"ambiguous directory 'Shared': it is in several collections: "
              f"'{os.path.join(s.music, 'Shared')}' and '{os.path.join(s.music2, 'Shared')}'")
        # A second argument of dirs must be a regexp.
        fails(s.cli("--user", "root", "dirs", "Artist", "Album", **root), 1,
              "'Album' is not a REGEXP: a REGEXP starts with '~' (usage: dirs [DIRECTORY "
              "[~REGEXP]])")


if __name__ == "__main__":
    run_tests()
