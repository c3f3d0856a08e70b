#!/usr/bin/env python3
"""A DisOrder configuration file loads unchanged: disorderd starts with the
items of DisOrder 5.2's disorder_config(5) and the ones that its page
leaves out (nice, rtp_delay_threshold, rtp_instance_name, and the
checkpoint_kbyte, checkpoint_min, dbversion, rtp_verbose and templates that
have no meaning here), and the file that DisOrder's Debian package
includes, and says once in its log, for each of the ignored items, that it
is ignored."""
import os

from audio import tone, write_wav
from harness import Server, closing, run_tests, test

IGNORED = ("checkpoint_kbyte", "checkpoint_min", "dbversion", "rtp_verbose", "templates")


class DisOrderConfigured(Server):
    def __init__(self):
        super().__init__()
        music = os.path.join(self.dir, "music")
        os.makedirs(music)
        # What the Debian package's configuration questions wrote.
        debconf = os.path.join(self.dir, "conf.debconf")
        with open(debconf, "w") as f:
            f.write(f"# created automatically from debconf information\n"
                    f"collection fs UTF-8 {music}\n"
                    f"scratch {os.path.join(music, 'scratch.ogg')}\n")
        # As a DisOrder installation might have it (the server's home,
        # listening address and user come from the harness).
        self.extra_config = "\n".join([
            f"include {debconf}",
            "alias {/artist}{/album}{/title}{ext}",
            "api rtp",
            "rtp_mode request",
            "authorization_algorithm sha1",
            "checkpoint_kbyte 64",
            "checkpoint_min 5",
            "cookie_key_lifetime 604800",
            "cookie_login_lifetime 86400",
            "dbversion 2",
            "history 60",
            "mount_rescan no",
            "new_bias 450000",
            "new_bias_age 604800",
            "new_max 100",
            "nice 12",
            "nice_server 0",
            "nice_speaker 0",
            "noticed_history 31",
            "pause_mode silence",
            "queue_pad 10",
            "reminder_interval 600",
            "remote_userman no",
            "replay_min 28800",
            "rtp_always_request no",
            "rtp_delay_threshold 1000",
            "rtp_instance_name kitchen",
            "rtp_max_payload 1400",
            "rtp_maxbuffer 0",
            "rtp_minbuffer 0",
            "rtp_mtu_discovery default",
            "rtp_rcvbuf 0",
            "rtp_request_address - 0",
            "rtp_verbose 1",
            "sample_format 16/44100/2",
            "signal SIGKILL",
            "sox_generation 1",
            "stopword the",
            "templates /usr/share/disorder/templates /etc/disorder/templates",
            "mail_sender jukebox@example.com",
            "refresh 15",
            "short_display 30",
            "smtp_server 127.0.0.1",
            "url http://jukebox.example.com/cgi-bin/disorder",
        ])
        self.write_config()


@test
def a_disorder_configuration_file_loads_and_names_what_it_ignores():
    with DisOrderConfigured() as s:
        with closing(s.root()) as r:
            r.ok("version")
            # The included collection is the server's.  "fresh": a rescan
            # that starts after the track is there, not the first start's,
            # which may still be running on a busy machine.
            os.makedirs(os.path.join(s.dir, "music", "artist"))
            track = os.path.join(s.dir, "music", "artist", "song.wav")
            write_wav(track, tone(440, 0.2))
            r.ok("rescan", "wait", "fresh")
            _, body = r.ok("files", os.path.join(s.dir, "music", "artist"))
            assert body == [track], body
            log = s.log_text()
            for name in IGNORED:
                assert log.count(f"configuration item {name} is ignored (") == 1, (name, log)
            # Items that have a meaning are not among them.
            for name in ("nice", "rtp_delay_threshold", "rtp_instance_name"):
                assert f"configuration item {name} " not in log, (name, log)
            # A reload reads them again, and says so again.
            r.ok("reconfigure")
            log = s.log_text()
            for name in IGNORED:
                assert log.count(f"configuration item {name} is ignored (") == 2, (name, log)


run_tests()
