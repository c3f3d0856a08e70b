// The Choose view: search (the server's search), the newest tracks, and
// browsing the collection directory by directory; each track can be played,
// have its preferences edited, or be added to the open playlist.

import { command, currentSession, get, has } from "./api.js";
import {
  $,
  act,
  basename,
  button,
  clear,
  clearError,
  fmtDuration,
  h,
  replaceRows,
  showError,
  throttle,
  trackLabel,
} from "./dom.js";

let ctx;
let results = null; // {title, tracks, query: [command, ...args]} or null
let dirStack = [null]; // the directories browsed into, from the top (null: not found yet)
let dirs = [];
let files = [];
let browsed = false;

export function init(context) {
  ctx = context;
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });
  $("new-tracks").addEventListener("click", newTracks);
  $("results-close").addEventListener("click", () => {
    results = null;
    renderResults();
    $("search-input").focus();
  });
  $("results-play-all").addEventListener("click", (e) =>
    playAll(e.currentTarget, $("results-error"), results ? results.tracks : []),
  );
  $("tracks-play-all").addEventListener("click", (e) =>
    playAll(e.currentTarget, $("tracks-error"), files),
  );
  return { load, log, shown: renderAll, session: renderAll, reset };
}

function reset() {
  browsed = false;
}

async function load() {
  if (!browsed) await browse(dirStack[dirStack.length - 1], true);
  renderAll();
}

function log(type, fields) {
  if (type === "rescanned") {
    browsed = false;
    ctx.refresh("choose");
  } else if (type === "pref" && /^trackname_/.test(fields[1] ?? "")) {
    // The names shown may have changed.
    namesChanged(fields[0]);
  }
}

// A track's display names changed: fetch again the lists that show it.
export function namesChanged(track) {
  if (!ctx.isVisible("choose")) {
    browsed = false;
    ctx.refresh("choose");
    return;
  }
  if (results && results.tracks.some((t) => t.track === track)) refreshResults();
  if (files.some((t) => t.track === track)) refreshBrowse();
}

const refreshResults = throttle(async () => {
  if (!results || !results.query) return;
  const query = results;
  try {
    const reply = await get(...query.query);
    if (results !== query) return;
    results = { ...query, tracks: reply.tracks ?? [] };
    renderResults();
  } catch (err) {
    showError($("results-error"), err);
  }
}, 100);

const refreshBrowse = throttle(async () => {
  await browse(dirStack[dirStack.length - 1]);
  renderBrowse();
}, 100);

function renderAll() {
  const name = ctx.view("playlists")?.openName();
  const note = $("choose-playlist-note");
  note.hidden = !name;
  note.textContent = name ? `Adding to the open playlist \u201c${name}\u201d.` : "";
  renderResults();
  renderBrowse();
}

// Search and new tracks ------------------------------------------------------------

async function search() {
  const terms = $("search-input").value.trim();
  const btn = $("search-form").querySelector("button[type=submit]");
  if (!terms) {
    showError($("search-error"), { message: "Type some words to search for." });
    return;
  }
  await act(btn, $("search-error"), async () => {
    const reply = await get("search", terms);
    results = { title: "Results", tracks: reply.tracks ?? [], query: ["search", terms] };
    renderResults();
  });
}

async function newTracks(e) {
  await act(e.currentTarget, $("search-error"), async () => {
    const reply = await get("new");
    results = { title: "New tracks", tracks: reply.tracks ?? [], query: ["new"] };
    renderResults();
  });
}

function renderResults() {
  const box = $("results-box");
  box.hidden = !results;
  clearError($("results-error"));
  if (!results) {
    clear($("results"));
    return;
  }
  $("results-title").textContent = results.title;
  replaceRows($("results"), results.tracks.map(trackRow));
  $("results-empty").hidden = results.tracks.length > 0;
  $("results-play-all").hidden = !has("play") || results.tracks.length === 0;
}

// Browsing ------------------------------------------------------------------------------

// The directory to start browsing from: the collection's root, which the
// session names.  With several roots, dirs of their parent lists them: walk
// up from a track's directory while each parent lists it, and start at the
// parent of the roots.
async function findTop() {
  const known = currentSession()?.roots ?? [];
  if (known.length === 1) return known[0];
  const probe = await get("dirs", "");
  if ((probe.lines ?? []).length) return "";
  let sample = null;
  for (const [cmd, ...args] of [["new", "1"], ["recent"], ["queue"]]) {
    try {
      const reply = await get(cmd, ...args);
      const list = reply.tracks ?? reply.entries ?? [];
      if (list.length) {
        sample = list[0].track;
        break;
      }
    } catch {
      // Try the next source of a track name.
    }
  }
  if (!sample) return null;
  let dir = parent(sample);
  for (;;) {
    const up = parent(dir);
    if (!up || up === dir) break;
    const listed = (await get("dirs", up)).lines ?? [];
    if (!listed.includes(dir)) break;
    dir = up;
  }
  // dir now lists the roots; start at the root itself when there is one.
  const roots = (await get("dirs", dir)).lines ?? [];
  return roots.length === 1 ? roots[0] : dir;
}

function parent(name) {
  const i = name.lastIndexOf("/");
  return i > 0 ? name.slice(0, i) : i === 0 ? "/" : "";
}

async function browse(dir, first = false) {
  clearError($("browse-error"));
  try {
    if (first && dirStack.length === 1 && dirStack[0] === null) {
      const top = await findTop();
      if (top === null) {
        dirs = [];
        files = [];
        showError($("browse-error"), {
          message: "Nothing to browse yet: search for tracks, or come back after the collection is scanned.",
        });
        return;
      }
      dirStack = [top];
      dir = top;
    }
    const [d, f] = await Promise.all([get("dirs", dir), get("files", dir)]);
    dirs = d.lines ?? [];
    files = f.tracks ?? [];
    browsed = true;
  } catch (err) {
    dirs = [];
    files = [];
    showError($("browse-error"), err);
  }
}

async function enter(dir, btn) {
  const i = dirStack.indexOf(dir);
  if (i >= 0) dirStack = dirStack.slice(0, i + 1);
  else dirStack.push(dir);
  if (btn) btn.disabled = true;
  await browse(dir);
  renderBrowse();
  // Keep the keyboard user in the listing.
  const first = $("dirs").querySelector("button") || $("tracks").querySelector("button");
  if (first) first.focus();
}

function renderBrowse() {
  const crumbs = $("crumbs");
  clear(crumbs);
  dirStack.forEach((dir, i) => {
    const label = i === 0 ? "Collection" : basename(dir);
    const last = i === dirStack.length - 1;
    crumbs.append(
      h(
        "li",
        null,
        last
          ? h("span", { "aria-current": "location" }, label)
          : button(label, (e) => enter(dir, e.currentTarget), { class: "link" }),
      ),
    );
  });
  $("dirs").replaceChildren(
    ...dirs.map((dir) =>
      h("li", null, button(basename(dir), (e) => enter(dir, e.currentTarget), { class: "dir", title: dir })),
    ),
  );
  replaceRows($("tracks"), files.map(trackRow));
  $("tracks-head").hidden = files.length === 0;
  $("tracks-play-all").hidden = !has("play");
}

// Tracks -------------------------------------------------------------------------------

function trackRow(t) {
  const alert = h("p", { class: "alert", role: "alert", hidden: true });
  const status = h("span", { class: "done", "aria-live": "polite" });
  const playlistName = ctx.view("playlists")?.openName();
  const play = has("play")
    ? button(
        "Play",
        async (e) => {
          status.textContent = "";
          if (await act(e.currentTarget, alert, () => command("play", [t.track])))
            flash(status, "Queued");
        },
        { class: "small", dataset: { action: "play" } },
      )
    : null;
  const prefs = button("Preferences", (e) => ctx.openPrefs(t.track, e.currentTarget), {
    class: "small",
    dataset: { action: "prefs" },
  });
  const add = playlistName
    ? button(
        "Add to playlist",
        (e) => {
          status.textContent = "";
          ctx.view("playlists").add(t);
          flash(status, "Added");
          e.currentTarget.focus();
        },
        { class: "small", dataset: { action: "add" } },
      )
    : null;
  return h(
    "li",
    { class: "track", dataset: { key: t.track } },
    h("div", { class: "entry-main" }, trackLabel(t), t.length ? h("span", { class: "meta len" }, fmtDuration(t.length)) : null),
    h("div", { class: "entry-actions" }, status, play, add, prefs),
    alert,
  );
}

function flash(el, text) {
  el.textContent = text;
  setTimeout(() => {
    if (el.textContent === text) el.textContent = "";
  }, 2500);
}

// Queues the tracks in order (play keeps the order of tracks played one
// after another).
async function playAll(btn, alert, tracks) {
  await act(btn, alert, async () => {
    for (const t of tracks) await command("play", [t.track]);
  });
}
