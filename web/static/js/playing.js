// The Playing view: the playing track with its position moving in real
// time, pause/resume and scratch, the global switches and the volume, the
// queue (expected start times, remove, move by buttons or drag and drop,
// adopt) and the recently played tracks.

import { command, currentSession, get, has } from "./api.js";
import {
  $,
  act,
  button,
  clear,
  clearError,
  fmtDuration,
  fmtTime,
  h,
  isoTime,
  showError,
  throttle,
  trackLabel,
  trackParts,
} from "./dom.js";

let ctx;
let nowEntry = null;
let nowFetchedAt = 0; // performance.now() when nowEntry.sofar was read
let nowFetchedAtEpoch = 0; // the same moment in seconds since the epoch
let queue = [];
let recent = [];
let enabled = null;
let randomEnabled = null;
let volume = null;
// The slider while the user moves it: the server's echoes of the values
// sent on the way must not pull it back.
let volumeDragging = false;
let volumeSent = null; // the last value sent
let volumeSentAt = -Infinity; // when
let volumeTimer = null;
const queueErrors = new Map(); // entry id -> error text, kept across renders
let dragged = null;

// May the user do KIND (move, remove, scratch) to this entry?
function may(kind, entry) {
  const user = currentSession().user;
  return (
    has(`${kind} any`) ||
    (has(`${kind} mine`) && !!entry.submitter && entry.submitter === user) ||
    (has(`${kind} random`) && entry.origin === "random")
  );
}

export function init(context) {
  ctx = context;
  $("now-pause").addEventListener("click", pauseOrResume);
  $("now-scratch").addEventListener("click", scratch);
  $("sw-playing").addEventListener("change", (e) =>
    toggle(e.target, e.target.checked ? "enable" : "disable"),
  );
  $("sw-random").addEventListener("change", (e) =>
    toggle(e.target, e.target.checked ? "random-enable" : "random-disable"),
  );
  const slider = $("volume");
  const sendVolume = throttle(async () => {
    const v = slider.value;
    if (String(volumeSent) === v && performance.now() - volumeSentAt < 1000) return;
    volumeSent = Number(v);
    volumeSentAt = performance.now();
    try {
      clearError($("globals-error"));
      await command("volume", [v, v]);
    } catch (err) {
      showError($("globals-error"), err);
    }
  }, 150);
  slider.addEventListener("input", () => {
    $("volume-value").textContent = `${slider.value}%`;
    sendVolume();
  });
  slider.addEventListener("change", sendVolume);
  slider.addEventListener("pointerdown", () => (volumeDragging = true));
  for (const type of ["pointerup", "pointercancel", "blur"])
    slider.addEventListener(type, () => {
      volumeDragging = false;
      renderGlobalsSoon();
    });
  const list = $("queue");
  list.addEventListener("dragstart", onDragStart);
  list.addEventListener("dragover", onDragOver);
  list.addEventListener("dragleave", onDragLeave);
  list.addEventListener("drop", onDrop);
  list.addEventListener("dragend", onDragEnd);
  setInterval(tick, 500);
  return { load, log, session: () => renderAll() };
}

const refreshQueue = throttle(async () => {
  if (!ctx.isVisible("playing")) return ctx.refresh("playing");
  await loadQueue();
}, 100);

const refreshRecent = throttle(async () => {
  if (!ctx.isVisible("playing")) return ctx.refresh("playing");
  await loadRecent();
}, 100);

async function load() {
  await Promise.all([loadQueue(), loadRecent(), loadGlobals()]);
}

async function loadQueue() {
  try {
    const [p, q] = await Promise.all([get("playing"), get("queue")]);
    nowEntry = p.entry ?? null;
    nowFetchedAt = performance.now();
    nowFetchedAtEpoch = Date.now() / 1000;
    queue = Array.isArray(q.entries) ? q.entries : [];
    clearError($("now-error"));
  } catch (err) {
    showError($("now-error"), err);
  }
  renderNow();
  renderQueue();
}

async function loadRecent() {
  try {
    const r = await get("recent");
    recent = Array.isArray(r.entries) ? r.entries : [];
  } catch (err) {
    recent = [];
  }
  renderRecent();
}

// Counts the events that change the switches or the volume: a fetch
// during which one came may have read the state from before it.
let globalsEvents = 0;

async function loadGlobals() {
  const seen = globalsEvents;
  const [e, r, v] = await Promise.allSettled([get("enabled"), get("random-enabled"), get("volume")]);
  if (seen !== globalsEvents) return loadGlobals(); // an answer older than the event
  enabled = e.status === "fulfilled" ? e.value.value === "yes" : null;
  randomEnabled = r.status === "fulfilled" ? r.value.value === "yes" : null;
  volume = v.status === "fulfilled" ? Math.round((v.value.left + v.value.right) / 2) : null;
  renderGlobals();
}

function log(type, fields) {
  switch (type) {
    case "playing":
    case "queue":
    case "removed":
    case "moved":
    case "scratched":
    case "completed":
    case "failed":
    case "adopted":
    case "rescanned":
      refreshQueue();
      break;
    case "pref":
      refreshQueue();
      refreshRecent();
      break;
    case "recent_added":
    case "recent_removed":
      refreshRecent();
      break;
    case "state":
      if (fields[0] === "enable_play" || fields[0] === "disable_play") {
        ++globalsEvents;
        enabled = fields[0] === "enable_play";
        renderGlobals();
      } else if (fields[0] === "enable_random" || fields[0] === "disable_random") {
        ++globalsEvents;
        randomEnabled = fields[0] === "enable_random";
        renderGlobals();
      } else refreshQueue();
      break;
    case "volume": {
      const l = Number(fields[0]);
      const r = Number(fields[1] ?? fields[0]);
      if (isFinite(l) && isFinite(r)) {
        ++globalsEvents;
        volume = Math.round((l + r) / 2);
        renderGlobals();
      }
      break;
    }
  }
}

function renderAll() {
  renderNow();
  renderQueue();
  renderRecent();
  renderGlobals();
}

// Now playing ----------------------------------------------------------------

function position() {
  if (!nowEntry) return 0;
  // sofar is how much has been played; without it, the time since it started.
  let pos =
    nowEntry.sofar !== undefined && nowEntry.sofar !== null
      ? Number(nowEntry.sofar) || 0
      : nowEntry.played
        ? Math.max(0, (nowFetchedAtEpoch - nowEntry.played))
        : 0;
  if (nowEntry.state !== "paused") pos += (performance.now() - nowFetchedAt) / 1000;
  const len = Number(nowEntry.length);
  if (len > 0 && pos > len) pos = len;
  return pos;
}

function renderNow() {
  const info = $("now-info");
  clear(info);
  const pause = $("now-pause");
  const scratchBtn = $("now-scratch");
  if (!nowEntry) {
    info.append(h("p", { class: "empty" }, "Nothing is playing."));
    $("now-progress-row").hidden = true;
    pause.hidden = true;
    scratchBtn.hidden = true;
    return;
  }
  const p = trackParts(nowEntry);
  // append() would write a null as the text "null": leave out what is not there.
  const lines = [
    h("p", { class: "now-title", title: nowEntry.track }, p.title),
    p.artist ? h("p", { class: "now-artist" }, p.artist) : null,
    p.album ? h("p", { class: "now-album" }, p.album) : null,
    h(
      "p",
      { class: "meta" },
      nowEntry.submitter ? `Chosen by ${nowEntry.submitter}` : originText(nowEntry.origin),
      nowEntry.state === "paused" ? " \u00b7 paused" : "",
    ),
  ];
  info.append(...lines.filter(Boolean));
  const paused = nowEntry.state === "paused";
  pause.hidden = !has("pause");
  pause.textContent = paused ? "Resume" : "Pause";
  scratchBtn.hidden = !may("scratch", nowEntry);
  $("now-progress-row").hidden = false;
  tick();
}

function originText(origin) {
  switch (origin) {
    case "random":
      return "Random pick";
    case "scheduled":
      return "Scheduled";
    case "scratch":
      return "Scratch sound";
    default:
      return "";
  }
}

function tick() {
  if (!nowEntry) return;
  const len = Number(nowEntry.length) || 0;
  const pos = position();
  const bar = $("now-progress");
  $("now-sofar").textContent = fmtDuration(pos);
  $("now-length").textContent = len ? fmtDuration(len) : "";
  bar.setAttribute("aria-valuemax", String(Math.round(len)));
  bar.setAttribute("aria-valuenow", String(Math.round(pos)));
  bar.setAttribute(
    "aria-valuetext",
    len ? `${fmtDuration(pos)} of ${fmtDuration(len)}` : fmtDuration(pos),
  );
  bar.firstElementChild.style.width = len ? `${Math.min(100, (pos / len) * 100)}%` : "0%";
}

async function pauseOrResume() {
  const btn = $("now-pause");
  const paused = nowEntry && nowEntry.state === "paused";
  await act(btn, $("now-error"), async () => {
    await command(paused ? "resume" : "pause");
    // Show it at once; the state event confirms it.
    if (nowEntry) {
      nowEntry.sofar = position();
      nowFetchedAt = performance.now();
      nowEntry.state = paused ? "started" : "paused";
      renderNow();
    }
    refreshQueue();
  });
}

async function scratch() {
  if (!nowEntry) return;
  const id = nowEntry.id;
  await act($("now-scratch"), $("now-error"), () => command("scratch", [id]));
}

async function toggle(box, cmd) {
  const ok = await act(box, $("globals-error"), () => command(cmd));
  if (!ok) box.checked = !box.checked;
}

function renderGlobals() {
  const s = currentSession();
  const canGlobal = has("global prefs");
  $("sw-playing-wrap").hidden = !canGlobal || enabled === null;
  $("sw-random-wrap").hidden = !canGlobal || randomEnabled === null;
  if (enabled !== null) $("sw-playing").checked = enabled;
  if (randomEnabled !== null) $("sw-random").checked = randomEnabled;
  const canVolume = has("volume") && volume !== null;
  $("volume-wrap").hidden = !canVolume;
  if (volume !== null) {
    const settling = performance.now() - volumeSentAt < 600 && volume !== volumeSent;
    if (volumeDragging || settling) {
      renderGlobalsSoon();
    } else {
      $("volume").value = String(volume);
      $("volume-value").textContent = `${volume}%`;
    }
  }
  // Those who may not change them still see the state.
  const words = [];
  if (!canGlobal && s.user) {
    if (enabled === false) words.push("Play is disabled.");
    if (randomEnabled === false) words.push("Random play is off.");
  }
  if (!canVolume && volume !== null) words.push(`Volume ${volume}%.`);
  $("globals-text").textContent = words.join(" ");
}

// Shows the server's volume once the user's own changes have settled.
function renderGlobalsSoon() {
  clearTimeout(volumeTimer);
  volumeTimer = setTimeout(renderGlobals, 650);
}

// Queue ------------------------------------------------------------------------

function renderQueue() {
  const list = $("queue");
  // Keep the keyboard focus on the same button of the same entry.
  const focused = document.activeElement;
  let keep = null;
  if (focused && list.contains(focused)) {
    const li = focused.closest("li[data-id]");
    if (li) keep = { id: li.dataset.id, action: focused.dataset.action };
  }
  const rows = queue.map((entry, i) => queueRow(entry, i));
  list.replaceChildren(...rows);
  $("queue-empty").hidden = queue.length > 0;
  const ids = new Set(queue.map((e) => e.id));
  for (const id of queueErrors.keys()) if (!ids.has(id)) queueErrors.delete(id);
  if (keep) {
    const li = [...list.children].find((el) => el.dataset.id === keep.id);
    const target =
      li && (li.querySelector(`button[data-action="${keep.action}"]`) || li.querySelector("button"));
    if (target) target.focus();
  }
}

function queueRow(entry, index) {
  const canMove = may("move", entry);
  const canRemove = may("remove", entry);
  const canAdopt = entry.origin === "random" && has("play");
  const alert = h("p", { class: "alert", role: "alert", hidden: true });
  const err = queueErrors.get(entry.id);
  if (err) showError(alert, { message: err });
  const run = (btn, fn) => async () => {
    queueErrors.delete(entry.id);
    const ok = await act(btn.el, alert, fn);
    if (!ok) queueErrors.set(entry.id, alert.textContent);
  };
  const mk = (label, action, fn) => {
    const ref = {};
    ref.el = button(label, run(ref, fn), { dataset: { action }, class: "small" });
    return ref.el;
  };
  const who = entry.submitter
    ? entry.submitter
    : entry.origin === "random"
      ? "random pick"
      : originText(entry.origin).toLowerCase();
  const meta = [];
  if (who) meta.push(h("span", { class: "who" }, entry.submitter ? `by ${who}` : who));
  if (entry.length) meta.push(h("span", { class: "len" }, fmtDuration(entry.length)));
  return h(
    "li",
    { class: "entry", dataset: { id: entry.id, index: String(index) }, draggable: canMove },
    h(
      "div",
      { class: "entry-main" },
      entry.expected
        ? h("time", { class: "when", datetime: isoTime(entry.expected) }, fmtTime(entry.expected))
        : h("span", { class: "when" }),
      trackLabel(entry),
      h("span", { class: "meta" }, ...joinDots(meta)),
    ),
    h(
      "div",
      { class: "entry-actions" },
      canMove ? mk("Move up", "up", () => command("move", [entry.id, "1"])) : null,
      canMove ? mk("Move down", "down", () => command("move", [entry.id, "-1"])) : null,
      canAdopt ? mk("Adopt", "adopt", () => command("adopt", [entry.id])) : null,
      canRemove ? mk("Remove", "remove", () => command("remove", [entry.id])) : null,
    ),
    alert,
  );
}

function joinDots(nodes) {
  const out = [];
  nodes.forEach((n, i) => {
    if (i) out.push(" \u00b7 ");
    out.push(n);
  });
  return out;
}

// Drag and drop: an extra to the Move buttons.  Dropping on an entry puts
// the dragged one where that entry is.
function onDragStart(e) {
  const li = e.target.closest && e.target.closest("li[data-id]");
  if (!li || !li.draggable) return;
  dragged = li.dataset.id;
  li.classList.add("dragging");
  e.dataTransfer.effectAllowed = "move";
  e.dataTransfer.setData("text/plain", dragged);
}

function onDragOver(e) {
  if (!dragged) return;
  const li = e.target.closest && e.target.closest("li[data-id]");
  if (!li) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = "move";
  for (const el of $("queue").querySelectorAll(".drop-target")) el.classList.remove("drop-target");
  if (li.dataset.id !== dragged) li.classList.add("drop-target");
}

function onDragLeave(e) {
  const li = e.target.closest && e.target.closest("li[data-id]");
  if (li) li.classList.remove("drop-target");
}

function onDragEnd() {
  dragged = null;
  for (const el of $("queue").querySelectorAll(".dragging, .drop-target"))
    el.classList.remove("dragging", "drop-target");
}

async function onDrop(e) {
  const li = e.target.closest && e.target.closest("li[data-id]");
  const id = dragged;
  onDragEnd();
  if (!li || !id || li.dataset.id === id) return;
  e.preventDefault();
  const from = queue.findIndex((x) => x.id === id);
  const to = queue.findIndex((x) => x.id === li.dataset.id);
  if (from < 0 || to < 0) return;
  // moveafter TARGET ID: after the entry before the drop target when moving
  // up, after the drop target when moving down; "" is the head.
  const target = to < from ? (to > 0 ? queue[to - 1].id : "") : queue[to].id;
  const row = $("queue").querySelector(`li[data-id="${CSS.escape(id)}"]`);
  const alert = row ? row.querySelector("[role=alert]") : null;
  try {
    await command("moveafter", [target, id]);
  } catch (err) {
    queueErrors.set(id, err.message);
    showError(alert, err);
  }
}

// Recently played --------------------------------------------------------------

function renderRecent() {
  const list = $("recent");
  const rows = [...recent].reverse().map((entry) => {
    const meta = [];
    if (entry.played) meta.push(h("time", { datetime: isoTime(entry.played) }, fmtTime(entry.played)));
    if (entry.submitter) meta.push(h("span", null, `by ${entry.submitter}`));
    if (entry.state === "scratched")
      meta.push(h("span", { class: "flag" }, entry.scratched ? `scratched by ${entry.scratched}` : "scratched"));
    if (entry.state === "failed") meta.push(h("span", { class: "flag" }, "failed"));
    return h(
      "li",
      { class: "entry" },
      h("div", { class: "entry-main" }, trackLabel(entry), h("span", { class: "meta" }, ...joinDots(meta))),
    );
  });
  list.replaceChildren(...rows);
  $("recent-empty").hidden = recent.length > 0;
}
