import sys, os, shutil
sys.argv = [sys.argv[0], "none"]
import harness
harness.run_tests = lambda: None
import playrtp_test as t
from playrtp_harness import Listener
from audio import tone
from harness import free_udp_port
bad = 0
for i in range(int(os.environ.get("N", "30"))):
    signal_ = tone(440, 1.5)
    port = free_udp_port()
    with Listener(str(port), alsa=True, pause_mode="silence", extra=("--debug",)) as listener:
        listener.wait_listening()
        sent = t.Sender(("127.0.0.1", port), signal_).run()
        listener.wait_done(sent)
        listener.stop()
        out = listener.samples()
        if len(out) != len(signal_):
            bad += 1
            print(len(out)//2, listener.log())
print("bad", bad)
