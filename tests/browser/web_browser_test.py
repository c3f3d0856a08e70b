#!/usr/bin/env python3
"""The web page in a real browser (headless Chromium driven by Selenium)
against a real disorderd, disorder-web and speaker: what a user sees and
does, found by accessible role and name as a screen reader would (the
names are those of the contract in web/), live updates from the command
line, rights, preferences, volume, playlists, registration by mail,
markup in track names, a server restart, the keyboard alone, and
screenshots of the main views at desktop and phone width."""
import atexit
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import (BUILDDIR, Skip, closing, fields, free_udp_port, run_tests,  # noqa: E402
                     split, test, wait_for)
from web_harness import (DISORDER_WEB, SCRIPT_TITLE, USERS, WEB_STATIC, WebClient,  # noqa: E402
                         WebJukebox, remove_dir, scratch_dir)

try:
    from selenium import webdriver
except ImportError:
    # Debian's python3-selenium is installed for /usr/bin/python3; the
    # python3 running the tests may be another one.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
if webdriver:
    from selenium.common.exceptions import (NoAlertPresentException,
                                            StaleElementReferenceException,
                                            WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

# Unicode's invisible direction marks and embeddings.
NO_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                 "\u2066\u2067\u2068\u2069"))

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTEFACTS = os.environ.get("DISORDER_ARTEFACTS") or os.path.join(BUILDDIR, "tests",
                                                                 "browser-artefacts")
DESKTOP = (1280, 900)
PHONE = (360, 800)
LOST = "Connection to the jukebox lost \u2014 reconnecting\u2026"

# Candidate elements for each role; the name is then checked against what
# Chromium's accessibility tree says (WebElement.accessible_name).
ROLES = {
    "button": "button, [role=button], input[type=button], input[type=submit]",
    "link": "a[href], [role=link]",
    "tab": "[role=tab]",
    "textbox": "input:not([type]), input[type=text], input[type=password], input[type=email], "
               "input[type=number], textarea, [role=textbox]",
    "searchbox": "input[type=search], [role=searchbox]",
    "checkbox": "input[type=checkbox], [role=checkbox], [role=switch]",
    "slider": "input[type=range], [role=slider]",
    "combobox": "select, [role=combobox]",
    "list": "ol, ul, [role=list]",
    "listitem": "li, [role=listitem]",
    "region": "section, [role=region]",
    "dialog": "dialog, [role=dialog]",
    "progressbar": "progress, [role=progressbar]",
    "alert": "[role=alert]",
    "status": "[role=status], output",
}
# Roles whose name comes from their content when nothing else names them.
NAME_FROM_CONTENT = {"button", "link", "tab", "listitem", "checkbox"}

# An approximation of the accessible name, computed in the page to find
# candidates in one round trip.
FIND_JS = """
const [root, selector, name, fromContent, partial] = arguments;
const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
function accName(el) {
  const lb = el.getAttribute('aria-labelledby');
  if (lb) return norm(lb.split(/\\s+/).map(id => {
    const e = document.getElementById(id); return e ? e.textContent : ''; }).join(' '));
  const al = el.getAttribute('aria-label');
  if (al) return norm(al);
  if (el.labels && el.labels.length)
    return norm(Array.from(el.labels).map(l => l.textContent).join(' '));
  if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button'))
    return norm(el.value);
  if (fromContent && norm(el.textContent)) return norm(el.textContent);
  return norm(el.getAttribute('title') || el.getAttribute('placeholder') || '');
}
function visible(el) {
  if (el.closest('[hidden], [aria-hidden=true]')) return false;
  const r = el.getBoundingClientRect();
  if (el.tagName === 'INPUT' && el.type === 'checkbox') return true;  // may be styled away
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
}
return Array.from((root || document).querySelectorAll(selector)).filter(el => {
  if (!visible(el)) return false;
  const n = accName(el);
  return partial ? n.includes(name) : n === name;
});
"""


def norm(s):
    return re.sub(r"\s+", " ", s or "").strip()


def available():
    if webdriver is None:
        raise Skip("python3-selenium is not installed")
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(p):
            raise Skip(f"{p} is not installed (chromium, chromium-driver)")
    if not os.path.exists(DISORDER_WEB):
        raise Skip(f"{DISORDER_WEB} is not built")
    if not os.path.exists(os.path.join(WEB_STATIC, "index.html")):
        raise Skip(f"the page ({WEB_STATIC}/index.html) is not in this tree")


class Browser:
    """One headless Chromium for the whole file (starting one costs
    seconds); each test opens its own jukebox, on its own port, so cookies
    do not cross tests."""

    _shared = None

    @classmethod
    def get(cls):
        available()
        if cls._shared is None:
            cls._shared = Browser()
            atexit.register(cls._shared.quit)
        b = cls._shared
        b.resize(DESKTOP)
        return b

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="disorder-chromium-")
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                  f"--user-data-dir={self.profile}"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        self.driver.set_script_timeout(10)

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def resize(self, size):
        self.driver.set_window_size(*size)
        # The window's outer size includes no chrome in headless mode, but
        # make sure the page's width is what a phone would give.
        w = self.driver.execute_script("return window.innerWidth")
        if w != size[0]:
            self.driver.set_window_size(size[0] + (size[0] - w), size[1])


class Page:
    """The page of one jukebox in the shared browser."""

    def __init__(self, jukebox, name):
        self.j = jukebox
        self.name = name
        self.b = Browser.get()
        self.d = self.b.driver
        self.d.get("about:blank")
        self.d.delete_all_cookies()
        self.d.get_log("browser")  # forget earlier tests' messages

    # Finding things ---------------------------------------------------
    def find_all(self, role, name, within=None, partial=False):
        return self.d.execute_script(FIND_JS, within, ROLES[role], name,
                                     role in NAME_FROM_CONTENT, partial)

    def find(self, role, name, within=None, timeout=10, partial=False):
        """The visible element with this role and accessible name (the
        first, in document order); checks the name and role Chromium
        computes for it."""
        def look():
            try:
                els = self.find_all(role, name, within, partial)
                return els[0] if els else None
            except StaleElementReferenceException:
                return None
        el = wait_for(look, f"{role} named {name!r}", timeout)
        got = norm(el.accessible_name)
        assert (name in got) if partial else got == name, \
            f"{role} {name!r}: Chromium names it {got!r}"
        want = {"textbox": {"textbox", "searchbox"}, "status": {"status"},
                "region": {"region"}, "checkbox": {"checkbox", "switch"}}.get(role, {role})
        if role != "textbox" or el.get_attribute("type") != "password":
            assert el.aria_role in want, f"{role} {name!r}: Chromium's role is {el.aria_role}"
        return el

    def absent(self, role, name, within=None, partial=False):
        return not self.find_all(role, name, within, partial)

    def items(self, list_name, timeout=10):
        lst = self.find("list", list_name, timeout=timeout)
        return lst, lst.find_elements(By.CSS_SELECTOR, ":scope > li, :scope > [role=listitem]")

    def item(self, list_name, text, timeout=10):
        """The item of the named list whose text contains `text`."""
        def look():
            try:
                lst = self.find_all("list", list_name)
                if not lst:
                    return None
                for li in lst[0].find_elements(By.CSS_SELECTOR,
                                               ":scope > li, :scope > [role=listitem]"):
                    # WebDriver's text of an element leaves out invisible
                    # direction marks, which a track's name may hold.
                    if text.translate(NO_BIDI) in li.text.translate(NO_BIDI):
                        return li
            except StaleElementReferenceException:
                pass
            return None
        return wait_for(look, f"an item with {text!r} in the list {list_name!r}", timeout)

    def snapshot(self, list_name):
        """The named list as [(item text, [names of its visible buttons])],
        read in one go in the page (so a redraw cannot make it stale);
        None while there is no such list."""
        lists = self.find_all("list", list_name)
        if not lists:
            return None
        return self.d.execute_script("""
          const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
          return Array.from(arguments[0].querySelectorAll(':scope > li, :scope > [role=listitem]'))
            .map(li => [li.innerText, Array.from(li.querySelectorAll('button, [role=button]'))
              .filter(b => b.getClientRects().length && !b.closest('[hidden]'))
              .map(b => norm(b.getAttribute('aria-label') || b.textContent))]);
        """, lists[0])

    def buttons_in(self, list_name, text):
        """The names of the buttons of the item with this text, once there."""
        def look():
            try:
                for t, buttons in self.snapshot(list_name) or []:
                    if text in t:
                        return [buttons]
            except StaleElementReferenceException:
                pass
            return None
        return wait_for(look, f"an item with {text!r} in the list {list_name!r}")[0]

    def texts(self, list_name):
        """The text of each item of the named list (None while there is no
        such list)."""
        try:
            snap = self.snapshot(list_name)
        except StaleElementReferenceException:
            return None
        return None if snap is None else [t for t, _ in snap]

    def statuses(self):
        """The text of each role=status element (a live region: its content,
        not its name, is what a screen reader announces)."""
        return [norm(t) for t in self.d.execute_script(
            "return Array.from(document.querySelectorAll('[role=status]'))"
            ".map(e => e.textContent)")]

    def alerts(self):
        """The text of each visible role=alert element."""
        return [norm(t) for t in self.d.execute_script(
            "return Array.from(document.querySelectorAll('[role=alert]'))"
            ".filter(e => e.getClientRects().length).map(e => e.textContent)")]

    def body_text(self):
        return self.d.execute_script("return document.body.innerText")

    def wait_text(self, text, timeout=10):
        wait_for(lambda: text in self.body_text(), f"the text {text!r} on the page", timeout)

    # Doing things -----------------------------------------------------
    def open(self, path="/"):
        self.d.get(self.j.url + path)
        self.nav("Playing", click=False)

    def nav(self, name, click=True):
        """The navigation tab called name (a button, link or tab)."""
        def look():
            found = []
            for role in ("tab", "button", "link"):
                for el in self.find_all(role, name):
                    if el.find_elements(By.XPATH, "ancestor::nav | ancestor::*[@role='tablist']"):
                        return (role, el)
                    found.append((role, el))
            return found[0] if len(found) == 1 else None
        role, el = wait_for(look, f"the navigation tab {name!r}", 10)
        self.find(role, name, within=None)  # names checked by Chromium
        if click:
            el.click()
            wait_for(lambda: self.find_all("region", name), f"the view {name!r}", 10)
        return el

    def fill(self, role, name, text, within=None):
        el = self.find(role, name, within)
        el.clear()
        el.send_keys(text)
        return el

    def press(self, name, within=None, timeout=10):
        el = self.find("button", name, within, timeout)
        el.click()
        return el

    def login(self, user, password=None):
        if self.absent("button", "Log in"):
            self.nav("Account")
        form = self.form_of(self.find("button", "Log in"))
        self.fill("textbox", "Username", user, form)
        self.fill("textbox", "Password", password or USERS[user][0], form)
        self.press("Log in", form)
        self.wait_text(f"Logged in as {user}")
        self.find("button", "Log out")

    def logout(self):
        """Logs out and waits for the logged-out page.  The page then shows
        its default view: a look or a click before that sees the old page,
        or is undone by it."""
        self.press("Log out")
        wait_for(lambda: self.absent("button", "Log out"), "the page to show the logout", 15)

    def click_in(self, list_name, text, button, timeout=10):
        """Clicks the button of the list item with this text; looks the item
        up afresh until then (a live list may be redrawn at any time)."""
        def attempt():
            try:
                li = self.item(list_name, text, timeout)
                el = self.find("button", button, within=li, timeout=1)
                el.click()
                return True
            except (StaleElementReferenceException, AssertionError):
                return False
        wait_for(attempt, f"{button!r} in the item {text!r} of {list_name!r}", timeout)

    def form_of(self, el):
        forms = el.find_elements(By.XPATH, "ancestor::form[1]")
        return forms[0] if forms else None

    def shot(self, name):
        os.makedirs(ARTEFACTS, exist_ok=True)
        path = os.path.join(ARTEFACTS, f"{name}.png")
        self.d.save_screenshot(path)
        return path

    def no_alert(self):
        try:
            text = self.d.switch_to.alert.text
        except NoAlertPresentException:
            return True
        raise AssertionError(f"an alert is open: {text!r}")

    def console_errors(self):
        return [e for e in self.d.get_log("browser") if e.get("level") == "SEVERE"
                and "favicon" not in e.get("message", "")]


_current = [None]


def scenario(fn):
    """A test of the page (skipped where there is no browser)."""
    def run():
        available()
        _current[0] = fn.__name__
        fn()
    run.__name__ = fn.__name__
    return test(run)


class Site(WebJukebox):
    """A WebJukebox that, when the test fails, saves what the browser shows
    (FAILED-TEST.png and .html among the artefacts) while the daemons still
    run, and prints the browser's console (WebJukebox prints the daemons'
    logs)."""

    def __exit__(self, *exc):
        if exc[0] is not None and exc[0] is not Skip:
            b = Browser._shared
            if b:
                try:
                    name = _current[0]
                    os.makedirs(ARTEFACTS, exist_ok=True)
                    b.driver.save_screenshot(os.path.join(ARTEFACTS, f"FAILED-{name}.png"))
                    with open(os.path.join(ARTEFACTS, f"FAILED-{name}.html"), "w") as f:
                        f.write(b.driver.page_source)
                    print("browser console:", b.driver.get_log("browser"))
                except WebDriverException:
                    pass
        return super().__exit__(*exc)


def root_ok(j, *args):
    with closing(j.root()) as r:
        return r.ok(*args)


def queue_tracks(j):
    with closing(j.root()) as r:
        return [fields(l)["track"] for l in r.ok("queue")[1]]


# ---------------------------------------------------------------- scenarios
@scenario
def a_user_logs_in_and_sees_their_name():
    with Site() as j:
        p = Page(j, "login")
        p.open()
        assert p.absent("button", "Log out")
        p.login("alice")
        # Only admins get the Users view.
        assert p.absent("button", "Users") and p.absent("tab", "Users") \
            and p.absent("link", "Users"), "a Users tab for alice, who is no admin"
        # Reloading keeps the session (the cookie).
        p.open()
        p.wait_text("Logged in as alice")
        p.logout()
        assert "Logged in as alice" not in p.body_text(), p.body_text()


@scenario
def a_searched_track_is_played_queued_then_now_playing():
    with Site() as j:
        p = Page(j, "search")
        p.open()
        p.login("alice")
        p.nav("Choose")
        box = p.find("searchbox", "Search")
        box.send_keys("evening", Keys.ENTER)
        p.click_in("Results", "Evening Tone", "Play")
        wait_for(lambda: queue_tracks(j) == [j.paths["second"]], "the track to be queued")
        p.nav("Playing")
        entry = p.item("Queue", "Evening Tone")
        assert "alice" in entry.text, entry.text
        root_ok(j, "enable")
        now = p.find("region", "Now playing")
        wait_for(lambda: "Evening Tone" in now.text, "Evening Tone as Now playing", 10)
        bar = p.find("progressbar", "Position", within=now)

        def position():
            v = bar.get_attribute("aria-valuenow") or bar.get_property("value")
            return float(v) if v not in (None, "") else None
        first = wait_for(lambda: position() is not None and [position()], "a position")[0]
        wait_for(lambda: position() > first, "the position to move while it plays")
        p.find("button", "Scratch", within=now)
        # Pause and resume from the page: the server's state follows.

        def state():
            with closing(j.root()) as r:
                code, text, _ = r.command("playing")
            return fields(text).get("state") if code == 252 else None
        p.find("button", "Pause", within=now).click()
        wait_for(lambda: state() == "paused", "the track paused")
        p.find("button", "Resume", within=now).click()
        wait_for(lambda: state() not in ("paused", None), "the track resumed")
        p.find("button", "Pause", within=now)
        wait_for(lambda: not any("Evening Tone" in t for t in p.texts("Queue") or []),
                 "the track to leave the queue")
        p.shot("desktop-now-playing")


@scenario
def a_play_from_the_command_line_appears_in_the_open_page():
    with Site() as j:
        p = Page(j, "cli")
        p.open()
        p.login("bob")
        p.nav("Playing")
        p.wait_text("Logged in as bob")
        start = time.monotonic()
        j.cli("play", j.paths["third"], user="alice", password=USERS["alice"][0])
        returned = time.monotonic()
        p.item("Queue", "Night Tone", timeout=10)
        seen = time.monotonic()
        print(f"  CLI play -> entry in the page: {(seen - returned) * 1000:.0f} ms after the "
              f"CLI returned ({(seen - start) * 1000:.0f} ms after it started)")


@scenario
def entries_are_moved_and_removed_within_the_users_rights():
    with Site() as j:
        bobs = j.cli("play", j.paths["first"], user="bob", password=USERS["bob"][0])
        assert bobs.returncode == 0
        for k in ("second", "third"):
            j.cli("play", j.paths[k], user="alice", password=USERS["alice"][0])
        p = Page(j, "rights")
        p.open()
        p.login("alice")
        wait_for(lambda: "Remove" in p.buttons_in("Queue", "Night Tone"),
                 "a Remove button for alice's own entry")
        assert "Remove" not in p.buttons_in("Queue", "Morning Tone"), \
            "alice may not remove bob's entry, yet the page offers it"
        # The API refuses it too, with disorderd's word.
        with closing(j.root()) as r:
            bob_id = fields(r.ok("queue")[1][0])["id"]
        api = WebClient(j.web_port)
        api.login("alice", USERS["alice"][0])
        refused = api.post("/api/remove", {"args": [bob_id]})
        assert refused.status == 403 and refused.json["code"] == 510, refused
        # Move her last entry up, then remove it.
        p.click_in("Queue", "Night Tone", "Move up")
        wait_for(lambda: queue_tracks(j) == [j.paths[k] for k in ("first", "third", "second")],
                 "Night Tone to move up")
        def titles():
            return p.texts("Queue") or []
        wait_for(lambda: len(titles()) == 3 and "Night Tone" in titles()[1],
                 "the page to show the new order")
        p.click_in("Queue", "Night Tone", "Remove")
        wait_for(lambda: j.paths["third"] not in queue_tracks(j), "Night Tone removed")
        wait_for(lambda: len(titles()) == 2 and not any("Night Tone" in t for t in titles()),
                 "Night Tone gone from the page")
        # An admin gets the Remove button for everyone's entries.
        p.logout()
        p.login("admin")
        wait_for(lambda: "Remove" in p.buttons_in("Queue", "Morning Tone"),
                 "a Remove button for the admin on bob's entry")


@scenario
def a_random_pick_is_adopted():
    with Site("queue_pad 2\n") as j:
        root_ok(j, "random-enable")
        p = Page(j, "adopt")
        p.open()
        p.login("alice")

        def picks():
            with closing(j.root()) as r:
                return [fields(l) for l in r.ok("queue")[1]]
        head = wait_for(lambda: picks(), "random picks")[0]
        with closing(j.root()) as r:
            title = split(r.ok("part", head["track"], "display", "title")[0])[0]
        wait_for(lambda: "Adopt" in p.buttons_in("Queue", title), f"Adopt for {title!r}")
        p.click_in("Queue", title, "Adopt")
        wait_for(lambda: any(e["id"] == head["id"] and e["origin"] == "adopted"
                             and e["submitter"] == "alice" for e in picks()),
                 "the pick adopted by alice")
        wait_for(lambda: "Adopt" not in p.buttons_in("Queue", title), "no Adopt once adopted")


@scenario
def the_listen_view_says_how_to_listen():
    rtp_port = free_udp_port()
    with Site(f"api rtp\nbroadcast 127.0.0.1 {rtp_port}\n") as j:
        p = Page(j, "listen")
        p.open()
        p.nav("Listen")
        p.wait_text(f"disorder-playrtp 127.0.0.1 {rtp_port}")
        p.wait_text(f"m=audio {rtp_port} RTP/AVP 10")
        p.shot("desktop-listen-rtp")


@scenario
def the_listen_view_plays_the_audio_stream():
    with Site("api rtp\nrtp_mode request\n") as j:
        root_ok(j, "play", j.paths["second"])
        root_ok(j, "enable")
        p = Page(j, "listen-stream")
        p.open()
        p.nav("Listen")
        p.wait_text("In this browser")
        # Muted, a page may start playing without a click.
        started = p.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const a = document.getElementById('listen-audio'); a.muted = true;"
            "a.play().then(() => done('playing'), (e) => done(String(e)));")
        assert started == "playing", started
        position = "return document.getElementById('listen-audio').currentTime"
        wait_for(lambda: p.d.execute_script(position) > 2, "the stream to play 2 s", 20)
        source = p.d.execute_script("return document.getElementById('listen-audio').currentSrc")
        assert source.endswith("/stream.opus"), source
        # A new track starts a new chained Ogg stream: playing goes on.
        root_ok(j, "play", j.paths["first"])
        root_ok(j, "scratch")
        wait_for(lambda: fields(root_ok(j, "playing")[0]).get("track") == j.paths["first"],
                 "the first track to play")
        at_change = p.d.execute_script(position)
        wait_for(lambda: p.d.execute_script(position) > at_change + 3,
                 "the stream to play on 3 s past a track change", 20)
        p.d.execute_script("document.getElementById('listen-audio').pause()")


@scenario
def a_track_preference_is_edited():
    with Site() as j:
        p = Page(j, "prefs")
        p.open()
        p.login("alice")
        p.nav("Choose")
        p.find("searchbox", "Search").send_keys("morning", Keys.ENTER)
        p.click_in("Results", "Morning Tone", "Preferences")
        dialog = p.find("dialog", "Track preferences")
        p.fill("textbox", "Weight", "5000", dialog)
        p.fill("textbox", "Title", "Sunrise", dialog)
        p.find("checkbox", "Pick at random", dialog)
        p.find("button", "Save", dialog).click()
        first = j.paths["first"]

        def saved():
            with closing(j.root()) as r:
                w = r.command("get", first, "weight")
                t = r.command("get", first, "trackname_display_title")
            return w[:2] == (252, "5000") and t[:2] == (252, "Sunrise")
        wait_for(saved, "the preferences saved")
        close = p.find_all("button", "Close", dialog)
        if close:
            close[0].click()
        p.item("Results", "Sunrise")


@scenario
def the_volume_is_set_with_the_slider():
    with Site() as j:
        p = Page(j, "volume")
        p.open()
        p.login("alice")
        slider = p.find("slider", "Volume")

        def volume():
            with closing(j.root()) as r:
                return r.ok("volume")[0]

        def shown():
            return slider.get_property("value") or slider.get_attribute("aria-valuenow")
        # Changed elsewhere: the slider follows.
        wait_for(lambda: shown() == "100", "the slider at the server's volume")
        root_ok(j, "volume", "77", "77")
        wait_for(lambda: shown() == "77", "the slider to follow a change made elsewhere")
        # Moved with the keyboard: the server follows.
        slider.send_keys(Keys.HOME)
        wait_for(lambda: volume() == "0 0", "the volume at 0")
        for _ in range(3):
            slider.send_keys(Keys.ARROW_RIGHT)
        wait_for(lambda: volume() not in ("0 0", "77 77"), "the volume raised a little")
        wait_for(lambda: volume().split()[0] == shown(),
                 "the slider and the server's volume to agree")


@scenario
def a_playlist_is_edited_and_played():
    with Site() as j:
        p = Page(j, "playlists")
        p.open()
        p.login("alice")
        p.nav("Playlists")
        p.fill("textbox", "New playlist", "mix")
        p.press("Create")
        p.click_in("Playlists", "mix", "Open")
        p.nav("Choose")
        for word, title in (("morning", "Morning Tone"), ("night", "Night Tone")):
            box = p.find("searchbox", "Search")
            box.clear()
            box.send_keys(word, Keys.ENTER)
            p.click_in("Results", title, "Add to playlist")
        p.nav("Playlists")
        p.item("Playlist tracks", "Night Tone")
        p.click_in("Playlist tracks", "Morning Tone", "Move down")
        wait_for(lambda: "Night Tone" in (p.texts("Playlist tracks") or [""])[0],
                 "Night Tone first in the playlist")
        p.find("combobox", "Sharing")
        p.press("Save playlist")

        def stored():
            # (Created empty at "Create": the tracks arrive with the save.)
            with closing(j.root()) as r:
                for name in ("alice.mix", "mix"):
                    code, _, body = r.command("playlist-get", name)
                    if code == 253 and body:
                        return name, body
            return None
        name, body = wait_for(stored, "the playlist saved with its tracks")
        assert body == [j.paths["third"], j.paths["first"]], body
        p.shot("desktop-playlists")
        p.click_in("Playlists", "mix", "Play")
        wait_for(lambda: queue_tracks(j) == [j.paths["third"], j.paths["first"]],
                 "the playlist queued in order")
        # Someone else's playlist: disorderd refuses, and the page says so
        # next to the control, in disorderd's words.
        api = WebClient(j.web_port)
        api.login("alice", USERS["alice"][0])
        words = api.post("/api/playlist-set", {"args": ["bob.secret"], "body": []}).json["error"]
        p.fill("textbox", "New playlist", "bob.secret")
        p.press("Create")
        if not p.alerts():
            p.click_in("Playlists", "bob.secret", "Open")
            p.press("Save playlist")
        wait_for(lambda: any(words in a for a in p.alerts()),
                 f"an alert saying {words!r}")


@scenario
def an_admin_creates_edits_and_deletes_a_user():
    with Site() as j:
        p = Page(j, "users")
        p.open()
        p.login("admin")
        p.nav("Users")
        form = p.form_of(p.find("button", "Create user"))
        p.fill("textbox", "Username", "dave", form)
        p.fill("textbox", "Password", "dave-pw", form)
        p.fill("textbox", "Rights", "read,play", form)
        p.press("Create user", form)

        def info(prop):
            with closing(j.root()) as r:
                code, text, _ = r.command("userinfo", "dave", prop)
            return text.strip('"') if code == 252 else None
        wait_for(lambda: info("rights") == "read,play", "dave created with his rights")
        p.click_in("Users", "dave", "Edit")

        def edit_row():
            try:
                row = p.item("Users", "dave", timeout=1)
                return row if p.find_all("textbox", "Email", row) else None
            except (StaleElementReferenceException, AssertionError):
                return None
        row = wait_for(edit_row, "the form to edit dave")
        p.fill("textbox", "Email", "dave@example.invalid", row)
        p.fill("textbox", "Rights", "read", row)
        p.press("Save user", row)
        wait_for(lambda: info("email") == "dave@example.invalid" and info("rights") == "read",
                 "dave's email and rights saved")
        p.shot("desktop-users-edit")
        p.click_in("Users", "dave", "Delete")
        wait_for(lambda: info("rights") is None, "dave deleted")
        wait_for(lambda: not any("dave" in t for t in p.texts("Users") or []),
                 "dave gone from the list")


@scenario
def a_new_user_registers_confirms_by_mail_and_is_logged_in():
    try:
        import mail_capture
    except ImportError:
        raise Skip("tests/integration/mail_capture.py (the test sendmail) is not in this tree")
    d = scratch_dir()
    try:
        sendmail, mailbox = mail_capture.capture_sendmail(d)
        with Site(sendmail=sendmail) as j:
            p = Page(j, "register")
            p.open()
            if p.absent("button", "Register"):
                p.nav("Account")
            button = p.find("button", "Register")
            form = p.form_of(button)
            if form is None or not p.find_all("textbox", "Email", form):
                button.click()  # a tab or link that shows the form
                button = wait_for(lambda: [b for b in p.find_all("button", "Register")
                                           if p.form_of(b) is not None], "the register form")[0]
                form = p.form_of(button)
            p.fill("textbox", "Username", "carol", form)
            p.fill("textbox", "Password", "carol-pw", form)
            p.fill("textbox", "Email", "carol@example.invalid", form)
            p.shot("desktop-register")
            button.click()
            msg = mailbox.wait_for_message(timeout=15)
            text = msg if isinstance(msg, str) else (
                msg.decode() if isinstance(msg, bytes) else
                (msg.get_body(preferencelist=("plain",)).get_content()
                 if hasattr(msg, "get_body") else str(msg)))
            m = re.search(r"https?://[^\s\"<>]+\?confirm=[^\s\"<>]+", text)
            assert m, text
            p.d.get(m.group(0))
            p.wait_text("Logged in as carol", 15)
            wait_for(lambda: "confirm=" not in p.d.current_url, "the link's query removed")
            # Forgotten the password: a reminder by mail.
            p.logout()
            if p.absent("button", "Forgot password?"):
                p.nav("Account")
            p.press("Forgot password?")
            form = p.form_of(p.find("button", "Send reminder"))
            p.fill("textbox", "Username", "carol", form)
            p.press("Send reminder", form)
            reminder = mailbox.wait_for_message(
                lambda m: "carol@example.invalid" in m.envelope_to, timeout=15)
            assert "carol" in reminder.get_body(preferencelist=("plain",)).get_content()
    finally:
        remove_dir(d)


@scenario
def a_track_named_with_html_shows_as_text():
    with Site() as j:
        for k in ("html", "script", "quotes", "rtl"):
            root_ok(j, "play", j.paths[k])
        p = Page(j, "html")
        p.open()
        p.item("Queue", SCRIPT_TITLE)
        p.item("Queue", "<img src=x onerror=alert(1)>")
        p.item("Queue", "\"Quoted\" & 'single'")
        p.item("Queue", "\u05e9\u05dc\u05d5\u05dd")
        p.no_alert()
        injected = p.d.execute_script(
            "return document.querySelectorAll('img[src=x], img[onerror], script:not([src])')"
            ".length + Array.from(document.scripts).filter(s => s.text.includes('alert')).length")
        assert injected == 0, "markup from a track name became elements"
        p.nav("Choose")
        p.press("New tracks")
        p.wait_text(SCRIPT_TITLE)
        p.no_alert()
        p.shot("desktop-choose-markup")
        assert not [e for e in p.console_errors() if "Content Security Policy" in e["message"]], \
            p.console_errors()


@scenario
def the_page_recovers_when_disorderd_restarts():
    with Site() as j:
        j.cli("play", j.paths["first"], user="alice", password=USERS["alice"][0])
        p = Page(j, "restart")
        p.open()
        p.login("alice")
        p.item("Queue", "Morning Tone")
        j.stop()

        wait_for(lambda: LOST in p.statuses(), "the page to say the connection is lost", 15)
        p.shot("desktop-connection-lost")
        j.start()
        wait_for(lambda: p.statuses() and not any(p.statuses()),
                 "the connection-lost status to clear", 20)
        p.item("Queue", "Morning Tone", timeout=10)
        p.wait_text("Logged in as alice")
        # Still alice, as far as disorderd is concerned too.
        p.nav("Choose")
        p.find("searchbox", "Search").send_keys("night", Keys.ENTER)
        p.click_in("Results", "Night Tone", "Play")
        wait_for(lambda: j.paths["third"] in queue_tracks(j), "a play after the restart")
        with closing(j.root()) as r:
            q = [fields(l) for l in r.ok("queue")[1]]
        assert q[-1]["submitter"] == "alice", q


@scenario
def the_page_recovers_when_disorder_web_restarts():
    with Site() as j:
        p = Page(j, "web-restart")
        p.open()
        p.login("alice")
        p.nav("Choose")
        p.find("searchbox", "Search").send_keys("night", Keys.ENTER)
        p.item("Results", "Night Tone")
        j.web.stop()
        wait_for(lambda: LOST in p.statuses(), "the page to say the connection is lost", 15)
        j.web.start()
        wait_for(lambda: p.statuses() and not any(p.statuses()),
                 "the connection-lost status to clear", 20)
        # Its CSRF token is stale now: the page fetches a new one by itself.
        p.click_in("Results", "Night Tone", "Play")
        wait_for(lambda: queue_tracks(j) == [j.paths["third"]], "the play after the restart")
        with closing(j.root()) as r:
            assert fields(r.ok("queue")[1][0])["submitter"] == "alice"
        p.wait_text("Logged in as alice")
        assert not p.alerts(), p.alerts()


@scenario
def play_and_scratch_are_reached_with_the_keyboard():
    with Site() as j:
        p = Page(j, "keyboard")
        p.open()
        p.login("alice")
        # From the top of the page, Tab by Tab.
        p.d.find_element(By.TAG_NAME, "body").click()
        p.d.execute_script("document.activeElement && document.activeElement.blur();"
                           "window.scrollTo(0, 0)")

        def tab_to(pred, what, limit=150):
            for _ in range(limit):
                ActionChains(p.d).send_keys(Keys.TAB).perform()
                el = p.d.switch_to.active_element
                if pred(el):
                    return el
            raise AssertionError(f"{what} not reached in {limit} presses of Tab")

        def named(name, inside=None):
            def pred(el):
                if norm(el.accessible_name) != name:
                    return False
                return inside is None or inside in (p.d.execute_script(
                    "const li = arguments[0].closest('li, [role=listitem]');"
                    "return li ? li.innerText : ''", el) or "")
            return pred
        tab_to(named("Choose"), "the Choose tab")
        ActionChains(p.d).send_keys(Keys.ENTER).perform()
        p.find("region", "Choose")
        tab_to(named("New tracks"), "New tracks")
        ActionChains(p.d).send_keys(Keys.ENTER).perform()
        p.wait_text("Evening Tone")
        tab_to(named("Play", "Evening Tone"), "Play for Evening Tone", limit=300)
        ActionChains(p.d).send_keys(Keys.ENTER).perform()
        wait_for(lambda: queue_tracks(j) == [j.paths["second"]], "Enter on Play to queue it")
        root_ok(j, "enable")
        p.d.execute_script("document.activeElement && document.activeElement.blur();")
        p.d.find_element(By.TAG_NAME, "body").click()
        tab_to(named("Playing"), "the Playing tab")
        ActionChains(p.d).send_keys(Keys.ENTER).perform()
        now = p.find("region", "Now playing")
        wait_for(lambda: "Evening Tone" in now.text, "Evening Tone playing")
        tab_to(named("Scratch"), "Scratch")
        ActionChains(p.d).send_keys(Keys.ENTER).perform()

        def scratched():
            with closing(j.root()) as r:
                return any(fields(l).get("state") == "scratched" for l in r.ok("recent")[1])
        wait_for(scratched, "Enter on Scratch to scratch it")


@scenario
def screenshots_of_the_main_views_at_desktop_and_phone_width():
    with Site() as j:
        for k in ("first", "third"):
            root_ok(j, "play", j.paths[k])
        p = Page(j, "shots")
        p.open()
        p.login("admin")
        views = ["Playing", "Choose", "Playlists", "Account", "Users", "Listen", "About"]
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            p.b.resize(size)
            for v in views:
                p.nav(v)
                if v == "Choose":
                    p.press("New tracks")
                    p.wait_text("Morning Tone")
                p.shot(f"{label}-{v.lower()}")
                if label == "phone":
                    width = p.d.execute_script("return document.documentElement.scrollWidth")
                    assert width <= size[0] + 1, f"{v} is {width} px wide on a {size[0]} px phone"
        p.b.resize(DESKTOP)
        # Not broadcasting here: rtp-address and rtp-sdp say so with a 404.
        errors = [e for e in p.console_errors()
                  if not re.search(r"/api/rtp-(address|sdp) .* 404", e["message"])]
        assert not errors, errors


run_tests()
