#!/usr/bin/env python3
"""disorder-web as an Icecast source (web_icecast): Debian's icecast2 runs
on a loopback port with a generated configuration; disorder-web feeds it
the jukebox's stream; ffmpeg pulls the mount and hears the playing tone;
the title that a listener of the mount gets (each Ogg chain's OpusTags,
the ICY StreamTitle of MP3) and, for MP3, the mount's title in icecast's
/status-json.xsl change when the track does; icecast2 killed in the
middle and started again gets the source back, and the mount plays again."""
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.request

from harness import Skip, free_port, run_tests, terminate, test, wait_for
from stream_harness import (HIGH_HZ, LOW_HZ, IcyStream, OggStream, StreamJukebox, assert_tone, capture,
                            needs, tmpdir)
from web_harness import needs_daemon

ICECAST = "/usr/bin/icecast2"
PASSWORD = "source-pw"


class Icecast:
    """icecast2 in the foreground with its own directory for logs and pid.
    icecast2 refuses to run as root: as root it is told to change to the
    nobody account once it has bound its port (<changeowner>)."""

    def __init__(self, port=None, clients=50):
        if not os.path.exists(ICECAST):
            raise Skip(f"{ICECAST} is not installed")
        self.port = port or free_port()
        self.dir = tmpdir()
        self.logdir = os.path.join(self.dir, "log")
        os.makedirs(self.logdir)
        owner = ""
        if os.geteuid() == 0:
            group = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
            owner = (f"<changeowner><user>nobody</user><group>{group}</group></changeowner>")
            os.chmod(self.dir, 0o755)
            os.chmod(self.logdir, 0o777)
        self.config = os.path.join(self.dir, "icecast.xml")
        with open(self.config, "w") as f:
            f.write(f"""<icecast>
  <location>test</location><admin>test@example.invalid</admin>
  <limits><clients>{clients}</clients><sources>4</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout><burst-on-connect>0</burst-on-connect></limits>
  <authentication><source-password>{PASSWORD}</source-password>
    <admin-user>admin</admin-user><admin-password>admin-pw</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>1</fileserve>
  <paths><basedir>{self.dir}</basedir><logdir>{self.logdir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
    <pidfile>{self.logdir}/icecast.pid</pidfile></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")
        self.proc = None

    def start(self):
        # Debian's icecast2 2.4.4 now and then dies of SIGSEGV while it
        # starts (a source logging in as it comes up): that is icecast2's
        # fault, not what is tested here, so it is started again.
        self.out = open(os.path.join(self.dir, "stdout.log"), "a")
        for attempt in range(3):
            self.proc = subprocess.Popen([ICECAST, "-c", self.config], stdout=self.out,
                                         stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: self.status() is not None or self._exited(), "icecast2 to answer")
                return self
            except AssertionError:
                if attempt == 2 or self.proc.returncode != -signal.SIGSEGV:
                    raise
                print("# icecast2 crashed as it started (SIGSEGV); starting it again")

    def _exited(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"icecast2 exited with {self.proc.returncode}: "
                                 + self.log_text())
        return False

    def status(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status-json.xsl",
                                        timeout=2) as r:
                return json.loads(r.read().decode(errors="replace"))
        except OSError:
            return None
        except ValueError:
            return None

    def mount(self, name):
        """The status of mount name, or None while it has no source."""
        s = self.status()
        if not s:
            return None
        sources = s.get("icestats", {}).get("source", [])
        if isinstance(sources, dict):
            sources = [sources]
        for m in sources:
            if m.get("listenurl", "").endswith(name):
                return m
        return None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.out.close()
        self.proc = None

    def stop(self):
        if self.proc:
            terminate(self.proc, "icecast2")
            self.out.close()
        self.proc = None

    def log_text(self):
        out = ""
        for name in ("stdout.log", "log/error.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += f"--- {name}:\n" + f.read()[-3000:]
            except OSError:
                pass
        return out

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_with_icecast(fmt, body):
    needs_daemon()
    needs("ffmpeg")
    ice = Icecast()
    out = tmpdir()
    try:
        ice.start()
        mount = f"/jukebox.{fmt}"
        extra = f"web_icecast 127.0.0.1 {ice.port} {mount} source {PASSWORD} {fmt}\n"
        with StreamJukebox(web_extra=extra) as j:
            try:
                body(ice, j, mount, out)
            except BaseException:
                print(ice.log_text())
                raise
    finally:
        ice.cleanup()
        shutil.rmtree(out, ignore_errors=True)


@test
def an_opus_mount_plays_names_the_track_and_comes_back_after_icecast_restarts():
    def body(ice, j, mount, out):
        j.play(j.low)
        url = f"http://127.0.0.1:{ice.port}{mount}"
        wait_for(lambda: ice.mount(mount), "the source on the mount", 20)
        rate, samples = capture(url, 3, out)
        assert_tone(rate, samples, LOW_HZ, HIGH_HZ, "the mount")
        low_artist, low_title = j.title_of(j.low)
        high_artist, high_title = j.title_of(j.high)
        # A listener of the mount gets each chain's OpusTags.  (icecast2
        # 2.4 passes them on but shows no title for an Opus mount in its
        # status, and refuses metadata updates for Ogg mounts.)
        listener = OggStream(ice.port, mount)
        try:
            tags = listener.wait_tags(lambda t: t.get("TITLE") == low_title,
                                      "the title at a listener of the mount")
            assert tags == {"ARTIST": low_artist, "TITLE": low_title}, tags
            t0 = time.monotonic()  # the time to play it counts too: an upper bound
            j.play(j.high)
            tags = listener.wait_tags(lambda t: t.get("TITLE") == high_title,
                                      "the new title at a listener of the mount")
            heard = time.monotonic() - t0
            assert tags == {"ARTIST": high_artist, "TITLE": high_title}, tags
        finally:
            listener.close()
        print(f"# opus: track change to the new title at a listener of the mount: {heard:.2f} s")
        # Icecast goes away in the middle of the stream and comes back.
        ice.kill()
        ice.start()
        wait_for(lambda: ice.mount(mount), "the source to reconnect", 40)
        rate, samples = capture(url, 3, out)
        assert_tone(rate, samples, HIGH_HZ, LOW_HZ, "the mount after icecast restarted")
        # One outage, logged once.
        log = j.web.log_text()
        assert log.count("connection lost") == 1, log
        assert "cannot connect" not in log, log
        assert "connected again to Icecast" in log, log
    run_with_icecast("opus", body)


@test
def an_mp3_mount_plays_and_its_title_follows_the_track():
    def body(ice, j, mount, out):
        j.play(j.low)
        url = f"http://127.0.0.1:{ice.port}{mount}"
        wait_for(lambda: ice.mount(mount), "the source on the mount", 20)
        rate, samples = capture(url, 3, out)
        assert_tone(rate, samples, LOW_HZ, HIGH_HZ, "the mp3 mount")
        low = " - ".join(j.title_of(j.low))
        high = " - ".join(j.title_of(j.high))
        wait_for(lambda: (ice.mount(mount) or {}).get("title") == low, "the mount's title", 20)
        listener = IcyStream(ice.port, mount)
        try:
            listener.wait_title(low)
            t0 = time.monotonic()  # the time to play it counts too: an upper bound
            j.play(j.high)
            wait_for(lambda: (ice.mount(mount) or {}).get("title") == high,
                     "the mount's new title", 20)
            status = time.monotonic() - t0
            listener.wait_title(high)
            heard = time.monotonic() - t0
        finally:
            listener.close()
        log = j.web.log_text()
        assert f"connected to Icecast at 127.0.0.1 port {ice.port} mount {mount}" in log, log
        assert "WARNING" not in log, log
        print(f"# mp3: track change to the new title: {status:.2f} s in icecast's status, "
              f"{heard:.2f} s at an ICY listener of the mount")
    run_with_icecast("mp3", body)


if __name__ == "__main__":
    run_tests()
