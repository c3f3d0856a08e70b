// The page's entry point: loads the session, handles a registration
// confirmation link, switches between the views (tabs and the URL's #hash),
// hides what the user has no right to, and routes the live events to the
// views, each of which refetches only while it is shown.

import { currentSession, loadSession, loggedIn, onSession, post, sameIdentity, useSession } from "./api.js";
import { $, act, showError, throttle } from "./dom.js";
import { EventStream } from "./events.js";
import * as playing from "./playing.js";
import * as choose from "./choose.js";
import * as playlists from "./playlists.js";
import * as account from "./account.js";
import * as users from "./users.js";
import * as listen from "./listen.js";
import * as about from "./about.js";
import { initPrefs } from "./prefs.js";

// Which views need which right to be offered at all.
const NEEDS = {
  playing: (s) => s.rights.length > 0,
  choose: (s) => s.rights.length > 0,
  playlists: (s) => s.rights.length > 0,
  account: () => true,
  users: (s) => s.rights.includes("admin") || s.rights.includes("all"),
  listen: (s) => !!s.user,
  about: () => true,
};

const views = new Map();
let current = null;

const ctx = {
  isVisible: (name) => current === name,
  refresh: (name) => views.get(name)?.refresh(),
  show: (name) => navigate(name),
  view: (name) => views.get(name)?.impl,
  openPrefs: null,
};

function register(name, module) {
  const v = {
    name,
    section: $(`view-${name}`),
    tab: document.querySelector(`nav.tabs button[data-view="${name}"]`),
    stale: true,
    impl: null,
  };
  v.refresh = throttle(async () => {
    if (current !== name) {
      v.stale = true;
      return;
    }
    v.stale = false;
    await v.impl.load();
  }, 100);
  v.tab.addEventListener("click", () => navigate(name));
  views.set(name, v);
  v.impl = module.init(ctx);
}

function allowed(name) {
  return NEEDS[name](currentSession());
}

function defaultView() {
  return allowed("playing") ? "playing" : "account";
}

function navigate(name) {
  if (location.hash !== `#${name}`) location.hash = name;
  else showView(name);
}

function showView(name) {
  if (!views.has(name) || !allowed(name)) name = defaultView();
  current = name;
  for (const v of views.values()) {
    const on = v.name === name;
    v.section.hidden = !on;
    if (on) v.tab.setAttribute("aria-current", "page");
    else v.tab.removeAttribute("aria-current");
  }
  const v = views.get(name);
  v.impl.shown?.();
  if (v.stale) v.refresh();
  document.title = `${v.tab.textContent} \u2014 disorder jukebox`;
}

function fromHash() {
  const name = location.hash.replace(/^#/, "");
  // Another fragment (the skip link's #main) keeps the view shown.
  if (current && name && !views.has(name)) return;
  showView(name || defaultView());
}

// Everything shown may have changed (a new stream, disorderd back, a new login).
function refetchAll() {
  for (const v of views.values()) {
    v.stale = true;
    v.impl.reset?.();
  }
  if (current) views.get(current).refresh();
}

const stream = new EventStream($("connection"), {
  refetch: async () => {
    try {
      const before = currentSession();
      const now = await loadSession();
      if (!sameIdentity(before, now)) return; // the session listener refetches
    } catch (err) {
      console.error(err);
    }
    refetchAll();
  },
  log: (type, fields) => {
    if (type === "rights_changed") {
      loadSession().catch((err) => console.error(err));
      return;
    }
    for (const v of views.values()) v.impl.log?.(type, fields);
  },
});

function applySession(s, old) {
  $("whoami").textContent = s.user
    ? s.guest
      ? "Browsing as guest"
      : `Logged in as ${s.user}`
    : "Not logged in";
  $("logout").hidden = !loggedIn();
  $("login-link").hidden = loggedIn();
  $("login-link").textContent = s.register ? "Log in or register" : "Log in";
  for (const v of views.values()) v.tab.hidden = !allowed(v.name);
  for (const v of views.values()) v.impl.session?.(s, old);
  if (old && sameIdentity(s, old) && stream.source) return;
  if (s.user) stream.start();
  else stream.stop();
  refetchAll();
  if (current && !allowed(current)) showView(defaultView());
}

async function logout() {
  const btn = $("logout");
  await act(btn, $("account-error"), async () => {
    await useSession(await post("api/logout", {}));
    navigate(defaultView());
  });
}

// A confirmation link from the registration mail: ?confirm=USER/CODE.
async function confirmFromLink() {
  const params = new URLSearchParams(location.search);
  const confirmation = params.get("confirm");
  if (confirmation === null) return false;
  history.replaceState(null, "", location.pathname + location.hash);
  try {
    const s = await useSession(await post("api/confirm", { confirmation }));
    ctx.view("account").message(
      loggedIn()
        ? `Your registration is confirmed: you are logged in as ${s.user}.`
        : "Your registration is confirmed: you can now log in.",
    );
  } catch (err) {
    showError($("account-error"), err);
  }
  return true;
}

async function boot() {
  // Asked first, answered once the views below are set up (setSession runs
  // after this function's synchronous part, when onSession has a listener).
  const firstSession = loadSession();
  ctx.openPrefs = initPrefs((track, prefs) => {
    if (prefs.some((p) => p.startsWith("trackname_"))) choose.namesChanged(track);
  });
  register("playing", playing);
  register("choose", choose);
  register("playlists", playlists);
  register("account", account);
  register("users", users);
  register("listen", listen);
  register("about", about);
  $("logout").addEventListener("click", logout);
  document.querySelector(".skip").addEventListener("click", (e) => {
    e.preventDefault();
    $("main").focus();
  });
  onSession(applySession);
  try {
    await firstSession;
  } catch (err) {
    showError($("account-error"), err);
  }
  const confirmed = await confirmFromLink();
  // The first view is fetched while the event stream opens, so that it
  // shows without waiting for the stream; the stream's first hello fetches
  // it again, for a change that fell between the two.
  window.addEventListener("hashchange", fromHash);
  if (confirmed) navigate("account");
  else fromHash();
}

boot();
