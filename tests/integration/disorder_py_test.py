"""The server as DisOrder's Python module sees it.

DisOrder's scripts, test programs and web tools talk to the server through
its Python module (python/disorder.py in DisOrder).  PyClient below talks the
way that module does: its login, its quoting and splitting rules, which
replies it takes as success (2xx, and 555 for "no such value"), how it reads
bodies, and how it turns each reply into a value (a queue entry into a dict
of its key/value pairs, `playing` 259 into None, `exists` into a boolean, a
dot-stuffed body into a list, the event log into lines for a callback).
Every call the module makes is made here, against a real server, with the
result checked as a script using the module would use it."""
import hashlib
import os
import re
import socket
import time

from audio import Jukebox
from harness import closing, run_tests, test, wait_for

# --------------------------------------------------------------- the client
_WS = re.compile(r"[ \t\n\r]+")
_SQUOTE = re.compile(r"'((?:[^\\']|\\[\\\"'n])*)'")
_DQUOTE = re.compile(r'"((?:[^\\"]|\\[\\"\'n])*)"')
_UNQUOTED = re.compile(r"[^\"' \t\n\r][^ \t\n\r]*")
_RESPONSE = re.compile(r"([0-9]{3}) ?(.*)")
_HASHES = {"sha1": "sha1", "SHA1": "sha1", "sha256": "sha256", "SHA256": "sha256",
           "sha384": "sha384", "SHA384": "sha384", "sha512": "sha512", "SHA512": "sha512"}


class SplitError(Exception):
    pass


class OperationError(Exception):
    def __init__(self, code, details):
        super().__init__(f"{code} {details}")
        self.code, self.details = code, details


def unescape(s):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def dsplit(s):
    """Fields of a line by the module's rules: either quote, backslash
    escapes inside quotes, anything else up to white space."""
    fields = []
    while s:
        m = _WS.match(s)
        if m:
            s = s[m.end():]
            continue
        m = _SQUOTE.match(s) or _DQUOTE.match(s)
        if m:
            fields.append(unescape(m.group(1)))
            s = s[m.end():]
            continue
        m = _UNQUOTED.match(s)
        if m:
            fields.append(m.group(0))
            s = s[m.end():]
            continue
        raise SplitError("invalid quoted string" if s[0] in "\"'" else "syntax error")
    return fields


def escape(s):
    """Quotes a field only when it needs it, in double quotes."""
    if s == "" or re.search(r"[\\\"'\n \t\r]", s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return s


def pairs(fields):
    """[k1, v1, k2, v2, ...] as a dict, as queue entries are read."""
    return dict(zip(fields[0::2], fields[1::2]))


class PyClient:
    def __init__(self, path, user, password=None, cookie=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.r = self.sock.makefile("rb")
        code, details = self._response()
        assert code // 100 == 2, (code, details)
        protocol, algorithm, challenge = dsplit(details)
        assert protocol == "2", details
        if cookie is not None:
            self._simple("cookie", cookie)
        elif user is not None:
            h = hashlib.new(_HASHES[algorithm])
            h.update(password.encode())
            h.update(bytes.fromhex(challenge))
            self._simple("user", user, h.hexdigest())

    def close(self):
        self.r.close()
        self.sock.close()

    # The wire.
    def _line(self):
        line = self.r.readline()
        if not line.endswith(b"\n"):
            raise ConnectionError("peer disconnected")
        return line[:-1].decode("utf-8")

    def _response(self):
        m = _RESPONSE.match(self._line())
        assert m, "invalid response"
        return int(m.group(1)), m.group(2)

    def _simple(self, *command, body=None):
        data = " ".join(escape(c) for c in command) + "\n"
        if body is not None:
            for line in body:
                data += ("." if line.startswith(".") else "") + line + "\n"
            data += ".\n"
        self.sock.sendall(data.encode("utf-8"))
        code, details = self._response()
        if code // 100 == 2 or code == 555:
            return code, details
        raise OperationError(code, details)

    def _body(self):
        out = []
        while True:
            line = self._line()
            if line.startswith("."):
                if line == ".":
                    return out
                line = line[1:]
            out.append(line)

    # The module's calls, in its order.
    def play(self, track):
        return self._simple("play", track)[1]

    def playafter(self, target, tracks):
        self._simple("playafter", target or "", *tracks)

    def remove(self, id_):
        self._simple("remove", id_)

    def enable(self):
        self._simple("enable")

    def disable(self, *now):
        self._simple("disable", *(["now"] if now else []))

    def scratch(self, *id_):
        self._simple("scratch", *id_)

    def shutdown(self):
        self._simple("shutdown")

    def reconfigure(self):
        self._simple("reconfigure")

    def rescan(self, *flags):
        self._simple("rescan", *flags)

    def version(self):
        return dsplit(self._simple("version")[1])[0]

    def playing(self):
        code, details = self._simple("playing")
        return None if code % 10 == 9 else pairs(dsplit(details))

    def _somequeue(self, command):
        self._simple(command)
        return [pairs(dsplit(line)) for line in self._body()]

    def recent(self):
        return self._somequeue("recent")

    def queue(self):
        return self._somequeue("queue")

    def _somedir(self, command, dir_, regexp):
        self._simple(command, dir_, *regexp)
        return self._body()

    def directories(self, dir_, *regexp):
        return self._somedir("dirs", dir_, regexp)

    def files(self, dir_, *regexp):
        return self._somedir("files", dir_, regexp)

    def allfiles(self, dir_, *regexp):
        return self._somedir("allfiles", dir_, regexp)

    def set(self, track, key, value):
        self._simple("set", track, key, value)

    def unset(self, track, key):
        # The module's own form: `set` without a value.
        self._simple("set", track, key)

    def get(self, track, key):
        code, details = self._simple("get", track, key)
        return None if code == 555 else dsplit(details)[0]

    def prefs(self, track):
        self._simple("prefs", track)
        out = {}
        for line in self._body():
            kv = dsplit(line)
            assert len(kv) == 2, f"invalid prefs body line {line!r}"
            out[kv[0]] = kv[1]
        return out

    def _boolean(self, reply):
        return reply[1] == "yes"

    def exists(self, track):
        return self._boolean(self._simple("exists", track))

    def enabled(self):
        return self._boolean(self._simple("enabled"))

    def random_enabled(self):
        return self._boolean(self._simple("random-enabled"))

    def random_enable(self):
        self._simple("random-enable")

    def random_disable(self):
        self._simple("random-disable")

    def length(self, track):
        return int(self._simple("length", track)[1])

    def search(self, words):
        # The module quotes the words into one argument.
        self._simple("search", " ".join(escape(w) for w in words))
        return self._body()

    def tags(self):
        self._simple("tags")
        return self._body()

    def stats(self):
        self._simple("stats")
        return self._body()

    def set_volume(self, left, right):
        self._simple("volume", str(left), str(right))

    def get_volume(self):
        return [int(v) for v in self._simple("volume")[1].split()]

    def move(self, track, delta):
        return int(self._simple("move", track, str(delta))[1])

    def moveafter(self, target, tracks):
        self._simple("moveafter", target or "", *tracks)

    def log(self, callback):
        self._simple("log")
        while True:
            line = self._line()
            if line.startswith("."):
                if line == ".":
                    return
                line = line[1:]
            if not callback(self, line):
                break

    def pause(self):
        self._simple("pause")

    def resume(self):
        self._simple("resume")

    def part(self, track, context, part):
        return dsplit(self._simple("part", track, context, part)[1])[0]

    def setglobal(self, key, value):
        self._simple("set-global", key, value)

    def unsetglobal(self, key):
        # The module's own form: `set-global` without a value.
        self._simple("set-global", key)

    def getglobal(self, key):
        code, details = self._simple("get-global", key)
        return None if code == 555 else dsplit(details)[0]

    def make_cookie(self):
        return dsplit(self._simple("make-cookie")[1])[0]

    def revoke(self):
        self._simple("revoke")

    def adduser(self, user, password):
        self._simple("adduser", user, password)

    def deluser(self, user):
        self._simple("deluser", user)

    def userinfo(self, user, key):
        code, details = self._simple("userinfo", user, key)
        return None if code == 555 else dsplit(details)[0]

    def edituser(self, user, key, value):
        self._simple("edituser", user, key, value)

    def users(self):
        self._simple("users")
        return self._body()

    def register(self, user, password, email):
        return dsplit(self._simple("register", user, password, email)[1])[0]

    def confirm(self, confirmation):
        return dsplit(self._simple("confirm", confirmation)[1])[0]

    def schedule_list(self):
        self._simple("schedule-list")
        return self._body()

    def schedule_del(self, event):
        self._simple("schedule-del", event)

    def schedule_get(self, event):
        code, _ = self._simple("schedule-get", event)
        if code == 555:
            return None
        out = {}
        for line in self._body():
            bits = dsplit(line)
            out[bits[0]] = bits[1]
        return out

    def schedule_add(self, when, priority, action, *rest):
        self._simple("schedule-add", str(int(when)), priority, action, *rest)

    def adopt(self, id_):
        self._simple("adopt", id_)

    def playlist_delete(self, playlist):
        self._simple("playlist-delete", playlist)

    def playlist_get(self, playlist):
        code, _ = self._simple("playlist-get", playlist)
        return None if code == 555 else self._body()

    def playlist_lock(self, playlist):
        self._simple("playlist-lock", playlist)

    def playlist_unlock(self):
        self._simple("playlist-unlock")

    def playlist_set(self, playlist, tracks):
        self._simple("playlist-set", playlist, body=tracks)

    def playlist_set_share(self, playlist, share):
        self._simple("playlist-set-share", playlist, share)

    def playlist_get_share(self, playlist):
        code, details = self._simple("playlist-get-share", playlist)
        return None if code == 555 else dsplit(details)[0]

    def playlists(self):
        self._simple("playlists")
        return self._body()


# --------------------------------------------------------------- the server
class Box(Jukebox):
    """A jukebox with three short tracks, play and random play off, and a
    user fred with every right, as DisOrder's test programs set theirs up."""

    def __init__(self, extra=""):
        super().__init__(extra)
        self.names = [os.path.join(self.music, "Fred Smith", "Boring", f"{n}.wav")
                      for n in ("01 First", "02 Second", "03 Third")]
        for i, name in enumerate(self.names):
            self.track(os.path.relpath(name, self.music), seconds=0.3, freq=440 + 110 * i)

    def start(self, preexec=None):
        super().start(preexec)
        self.rescan()
        self.add_user("fred", "fredpass", "all")
        with closing(self.root()) as r:
            r.ok("disable")
            r.ok("random-disable")
        return self

    def client(self, user="fred", password="fredpass", cookie=None):
        return PyClient(self.socket_path, user, password, cookie)

    def anonymous(self):
        """Connected, not logged in (to confirm a registration)."""
        return PyClient(self.socket_path, None)


def raises(code, fn, *args):
    try:
        fn(*args)
    except OperationError as e:
        assert e.code == code, (fn.__name__, e.code, e.details)
        return e
    raise AssertionError(f"{fn.__name__}{args} did not fail with {code}")


# --------------------------------------------------------------- the calls
@test
def session_calls():
    with Box() as s:
        c = s.client()
        assert re.match(r"\d", c.version()), c.version()
        cookie = c.make_cookie()
        c.close()
        c = s.client(cookie=cookie)
        c.revoke()
        c.close()
        raises(530, s.client, None, None, cookie)
        # A wrong password: the module sees 530 and gives up.
        raises(530, s.client, "fred", "wrong")


@test
def collection_calls():
    with Box() as s, closing(s.client()) as c:
        top = c.directories(s.music)
        assert top == [os.path.join(s.music, "Fred Smith")], top
        album = os.path.join(s.music, "Fred Smith", "Boring")
        assert c.files(album) == s.names, c.files(album)
        assert c.files(album, "second") == [s.names[1]]
        # Files and directories, not recursive.
        assert c.allfiles(os.path.join(s.music, "Fred Smith")) == [album]
        assert c.allfiles(album) == s.names
        assert c.exists(s.names[0]) is True
        assert c.exists(s.names[0] + ".nosuch") is False
        assert c.length(s.names[0]) in (0, 1)  # 0.3 s, in whole seconds
        raises(550, c.length, s.names[0] + ".nosuch")
        assert c.part(s.names[0], "display", "artist") == "Fred Smith"
        assert c.part(s.names[0], "display", "album") == "Boring"
        assert c.part(s.names[0], "display", "title") == "First"
        assert c.search(["second"]) == [s.names[1]]
        assert c.search(["boring", "third"]) == [s.names[2]]
        assert c.search(["nosuchword"]) == []
        c.set(s.names[0], "tags", "one, two")
        assert c.tags() == ["one", "two"], c.tags()
        assert isinstance(c.stats(), list) and c.stats()
        c.rescan()
        c.rescan("wait")


@test
def preference_calls():
    with Box() as s, closing(s.client()) as c:
        t = s.names[0]
        assert c.get(t, "colour") is None
        c.set(t, "colour", "dark \"blue\"")
        assert c.get(t, "colour") == "dark \"blue\""
        assert c.prefs(t) == {"colour": "dark \"blue\""}
        # The module's unset sends `set` without a value, which DisOrder's
        # server refuses as a missing argument too.
        raises(500, c.unset, t, "colour")
        assert c.getglobal("mood") is None
        c.setglobal("mood", "calm")
        assert c.getglobal("mood") == "calm"
        raises(500, c.unsetglobal, "mood")
        c._simple("unset-global", "mood")
        assert c.getglobal("mood") is None


@test
def queue_calls():
    with Box() as s, closing(s.client()) as c:
        assert c.playing() is None
        assert c.queue() == [] and c.recent() == []
        ids = [c.play(t) for t in s.names]
        q = c.queue()
        assert [e["id"] for e in q] == ids, q
        assert [e["track"] for e in q] == s.names
        assert all(e["submitter"] == "fred" and e["state"] == "unplayed" for e in q), q
        # move answers the part of the distance it could not go.
        assert c.move(ids[2], 1) == 0
        assert [e["id"] for e in c.queue()] == [ids[0], ids[2], ids[1]]
        assert c.move(ids[2], 5) == 4
        assert [e["id"] for e in c.queue()] == [ids[2], ids[0], ids[1]]
        c.moveafter(None, [ids[1]])
        assert [e["id"] for e in c.queue()] == [ids[1], ids[2], ids[0]]
        c.moveafter(ids[0], [ids[1]])
        assert [e["id"] for e in c.queue()] == [ids[2], ids[0], ids[1]]
        c.playafter(None, [s.names[0]])
        q = c.queue()
        assert len(q) == 4 and q[0]["track"] == s.names[0] and q[0]["id"] not in ids, q
        c.remove(q[0]["id"])
        c.remove(ids[1])
        assert [e["id"] for e in c.queue()] == [ids[2], ids[0]]
        raises(550, c.remove, "nosuchid")
        # With nothing playing, pause and scratch succeed, as on DisOrder.
        c.pause()
        c.scratch()
        assert c.enabled() is False and c.random_enabled() is False
        c.enable()
        assert c.enabled() is True
        # The next `playing` shows the track that play started.
        p = c.playing()
        assert p is not None and p["id"] == ids[2] and p["track"] == s.names[2], p
        c.pause()
        c.resume()
        c.scratch(ids[2])
        wait_for(lambda: any(e["id"] == ids[2] for e in c.recent()), "the scratched track in recent")
        r = [e for e in c.recent() if e["id"] == ids[2]][0]
        assert r["state"] == "scratched" and r["scratched"] == "fred", r
        wait_for(lambda: any(e["id"] == ids[0] for e in c.recent()), "the last track played")
        assert [e for e in c.recent() if e["id"] == ids[0]][0]["state"] == "ok"
        assert c.playing() is None
        c.disable("now")
        c.random_enable()
        assert c.random_enabled() is True
        c.random_disable()


@test
def adopt_and_reconfigure_calls():
    with Box() as s, closing(s.client()) as c:
        # A random pick to adopt, with play off.
        s.write_config(s.config_text() + "queue_pad 1\n")
        c.reconfigure()
        c.random_enable()
        wait_for(lambda: any(e.get("origin") == "random" for e in c.queue()), "a random pick")
        e = [e for e in c.queue() if e.get("origin") == "random"][0]
        assert "submitter" not in e, e
        c.adopt(e["id"])
        e = [x for x in c.queue() if x["id"] == e["id"]][0]
        assert e["submitter"] == "fred" and e["origin"] == "adopted", e


@test
def volume_calls():
    with Box() as s, closing(s.client()) as c:
        # With `api command` there is no mixer: the module sees a 5xx, as
        # DisOrder's server answers without one.
        try:
            c.set_volume(50, 50)
            assert c.get_volume() == [50, 50]
        except OperationError as e:
            assert e.code // 100 == 5, e


@test
def user_calls():
    with Box() as s, closing(s.client()) as c:
        c.adduser("barney", "rubble")
        assert set(c.users()) == {"barney", "fred", "root"}, c.users()
        rights = c.userinfo("barney", "rights")
        assert rights and "," in rights and "_" not in rights, rights
        assert c.userinfo("barney", "email") is None
        c.edituser("barney", "email", "barney@example.com")
        assert c.userinfo("barney", "email") == "barney@example.com"
        c.edituser("barney", "rights", "read,move any")
        assert c.userinfo("barney", "rights") == "read,move any"
        with closing(s.client("barney", "rubble")) as b:
            assert b.queue() == []
        c.deluser("barney")
        assert "barney" not in c.users()
        # Registration: the new user cannot log in until confirmed; the
        # confirmation logs in and works once.
        confirmation = c.register("wilma", "flintstone", "wilma@example.com")
        assert confirmation.startswith("wilma/"), confirmation
        assert c.userinfo("wilma", "email") == "wilma@example.com"
        raises(530, s.client, "wilma", "flintstone")
        anon = s.anonymous()
        raises(510, anon.confirm, "wilma/0123456789abcdef")
        assert anon.confirm(confirmation) == "wilma"
        assert anon.queue() == []
        anon.close()
        with closing(s.client("wilma", "flintstone")) as w:
            assert w.queue() == []
            raises(510, w.register, "betty", "rubble", "betty@example.com")
        # As a web interface does it: a guest registers and confirms.
        c.adduser("guest", "")
        c.edituser("guest", "rights", "read,register")
        with closing(s.client("guest", "")) as g:
            confirmation = g.register("betty", "rubble", "betty@example.com")
            raises(530, s.client, "betty", "rubble")
            assert g.confirm(confirmation) == "betty"
            assert g.userinfo("betty", "email") == "betty@example.com"
        with closing(s.client("betty", "rubble")) as b:
            assert b.queue() == []
        anon = s.anonymous()
        raises(510, anon.confirm, confirmation)
        raises(550, anon.confirm, "no-slash-here")
        anon.close()


@test
def schedule_calls():
    with Box() as s, closing(s.client()) as c:
        assert c.schedule_list() == []
        when = time.time() + 3600
        c.schedule_add(when, "normal", "play", s.names[0])
        c.schedule_add(when, "junk", "set-global", "mood", "sunny")
        ids = c.schedule_list()
        assert len(ids) == 2, ids
        events = [c.schedule_get(i) for i in ids]
        play = [e for e in events if e["action"] == "play"][0]
        assert play["track"] == s.names[0] and play["priority"] == "normal", play
        assert play["who"] == "fred" and int(play["when"]) == int(when), play
        glob = [e for e in events if e["action"] == "set-global"][0]
        assert glob["key"] == "mood" and glob["value"] == "sunny", glob
        assert c.schedule_get("nosuch") is None
        for i in ids:
            c.schedule_del(i)
        assert c.schedule_list() == []
        # One in the near future plays its track.
        c.enable()
        c.schedule_add(time.time() + 1, "normal", "play", s.names[1])
        wait_for(lambda: any(e["track"] == s.names[1] for e in c.recent()), "the scheduled track",
                 timeout=30)


@test
def playlist_calls():
    with Box() as s, closing(s.client()) as c:
        assert c.playlists() == []
        assert c.playlist_get("fred.mine") is None
        c.playlist_lock("fred.mine")
        c.playlist_set("fred.mine", [s.names[0], s.names[1]])
        c.playlist_unlock()
        assert c.playlist_get("fred.mine") == [s.names[0], s.names[1]]
        assert c.playlist_get_share("fred.mine") in ("public", "private")
        c.playlist_lock("fred.mine")
        c.playlist_set_share("fred.mine", "private")
        c.playlist_unlock()
        assert c.playlist_get_share("fred.mine") == "private"
        c.playlist_lock("everyone")
        c.playlist_set("everyone", [s.names[2]])
        c.playlist_set_share("everyone", "shared")
        c.playlist_unlock()
        assert c.playlist_get_share("everyone") == "shared"
        assert sorted(c.playlists()) == ["everyone", "fred.mine"]
        c.playlist_delete("everyone")
        assert c.playlists() == ["fred.mine"]
        assert c.playlist_get_share("everyone") is None


@test
def the_event_log_as_the_monitor_reads_it():
    with Box() as s, closing(s.client()) as c, closing(s.client()) as watcher:
        seen, ids = [], []

        def callback(client, line):
            bits = dsplit(line)  # never a SplitError
            assert len(bits) >= 2 and int(bits[0], 16) > 0, line
            seen.append(bits[1:])
            if not ids:
                # The log has started: now act, on the other connection.
                ids.append(c.play(s.names[0]))
                ids.append(c.play(s.names[1]))
                c.remove(ids[1])
                c.enable()
            return ["completed", s.names[0]] not in seen

        watcher.log(callback)
        queued = [pairs(b[1:]) for b in seen if b[0] == "queue"]
        assert [q["id"] for q in queued] == ids, seen
        assert all(q["track"] == t for q, t in zip(queued, s.names)), queued
        assert ["removed", ids[1], "fred"] in seen, seen
        assert ["playing", s.names[0], "fred"] in seen, seen
        assert ["state", "enable_play"] in seen, seen


@test
def shutdown_call():
    with Box() as s:
        c = s.client()
        c.shutdown()
        wait_for(lambda: s.proc.poll() is not None, "the server to stop")
        s.proc = None
        s.log.close()


run_tests()
