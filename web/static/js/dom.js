// Small DOM helpers shared by the views: building elements (text only ever
// through textContent, so that no track name is read as markup), showing
// errors next to the control that caused them, and formatting tracks and times.

import { currentSession } from "./api.js";

// h("li", {class: "x", onclick: fn, "aria-label": "..."}, child, "text", ...)
// Children that are strings become text nodes; null and false are skipped.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on") && typeof value === "function")
        el.addEventListener(key.slice(2), value);
      else if (key in el && typeof value !== "string") el[key] = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function button(label, onclick, props = {}) {
  return h("button", { type: "button", ...props, onclick }, label);
}

// Replaces the rows of a list, keeping the keyboard focus on the same
// control (same data-action) of the same row (same data-key) if it is
// still there.
export function replaceRows(list, rows) {
  const focused = document.activeElement;
  let keep = null;
  if (focused && focused !== list && list.contains(focused)) {
    const row = focused.closest("[data-key]");
    if (row) keep = { key: row.dataset.key, action: focused.dataset.action };
  }
  list.replaceChildren(...rows);
  if (!keep) return;
  const row = rows.find((r) => r.dataset.key === keep.key);
  const target =
    row && ((keep.action && row.querySelector(`[data-action="${keep.action}"]`)) || row.querySelector("button"));
  if (target) target.focus();
}

export function clear(el) {
  el.replaceChildren();
}

export function $(id) {
  return document.getElementById(id);
}

// Errors: each control's alert element shows the server's text.
export function showError(alertEl, err) {
  if (!alertEl) return;
  const text = err ? (err.message ?? String(err)) : "";
  alertEl.textContent = text;
  alertEl.hidden = !text;
}

export function clearError(alertEl) {
  showError(alertEl, null);
}

// Runs an action for a control: the button is disabled while it runs, the
// alert cleared before and given the error text after a failure.  Returns
// true on success.
export async function act(control, alertEl, fn) {
  clearError(alertEl);
  // A disabled button loses the focus; it gets it back after, unless the
  // action put it somewhere else.
  const hadFocus = control && document.activeElement === control;
  if (control) control.disabled = true;
  try {
    await fn();
    return true;
  } catch (err) {
    showError(alertEl, err);
    return false;
  } finally {
    if (control && control.isConnected) {
      control.disabled = false;
      const now = document.activeElement;
      if (hadFocus && (!now || now === document.body || now.tagName === "DIALOG")) control.focus();
    }
  }
}

// The last component of a track or directory name.
export function basename(name) {
  const trimmed = String(name ?? "").replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

// What to show for a track object (TRACK or queue ENTRY): the display parts,
// falling back to the file name for the title.
export function trackParts(t) {
  const title = t.title || basename(t.track) || "(unnamed)";
  return { title, artist: t.artist || "", album: t.album || "" };
}

// A name part cut to the server's short_display characters, as DisOrder's
// pages showed long names in lists (the whole name is the row's tooltip).
function short(text) {
  const max = currentSession()?.short_display ?? 0;
  const chars = Array.from(text);
  return max > 0 && chars.length > max ? chars.slice(0, max - 1).join("") + "\u2026" : text;
}

// Title, then "artist · album" as a second line, each shortened.
export function trackLabel(t) {
  const full = trackParts(t);
  const p = { title: short(full.title), artist: short(full.artist), album: short(full.album) };
  const parts = [p.artist, p.album].filter(Boolean);
  const sub = [];
  parts.forEach((part, i) => {
    if (i) sub.push(" \u00b7 ");
    sub.push(h("span", null, part));
  });
  return h(
    "span",
    { class: "track-label" },
    h("span", { class: "title", title: t.track || null }, p.title),
    sub.length ? h("span", { class: "sub" }, ...sub) : null,
  );
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) return "";
  const s = Math.floor(seconds);
  const hours = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(mins).padStart(2, "0")}:${secs}` : `${mins}:${secs}`;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

// A time in seconds since the epoch as local time: the clock alone today.
export function fmtTime(epoch) {
  if (!epoch) return "";
  const d = new Date(epoch * 1000);
  const now = new Date();
  return d.toDateString() === now.toDateString() ? clockFormat.format(d) : dateFormat.format(d);
}

export function isoTime(epoch) {
  return new Date(epoch * 1000).toISOString();
}

// Calls fn at most once per `gap` ms: at once if it has not run lately,
// otherwise once when the gap has passed; never two runs at the same time
// (a request during a run runs it again after).
export function throttle(fn, gap = 100) {
  let last = 0;
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = performance.now();
    try {
      await fn();
    } catch (err) {
      console.error(err);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    const wait = Math.max(0, last + gap - performance.now());
    if (wait === 0) run();
    else timer = setTimeout(run, wait);
  };
  return schedule;
}
