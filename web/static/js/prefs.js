// The track preferences dialog: weight, pick_at_random, the display names
// (trackname_display_artist/album/title) and tags of one track.  Escape or
// Close closes it and the focus goes back to the button that opened it.

import { command, get, has } from "./api.js";
import { $, act, showError } from "./dom.js";

const FIELDS = [
  ["pref-artist", "trackname_display_artist"],
  ["pref-album", "trackname_display_album"],
  ["pref-title", "trackname_display_title"],
  ["pref-tags", "tags"],
  ["pref-weight", "weight"],
];

let dialog;
let track = null;
let loaded = {};
let opener = null;
let onSaved = null;
let openerKey = null; // the data-key of the opener's row

// onSaved(track, changedPrefs) runs after a successful save.
export function initPrefs(savedHook) {
  onSaved = savedHook;
  dialog = $("prefs-dialog");
  $("prefs-close").addEventListener("click", close);
  $("prefs-save").addEventListener("click", save);
  $("prefs-form").addEventListener("input", () => ($("prefs-saved").textContent = ""));
  $("prefs-form").addEventListener("submit", (e) => {
    e.preventDefault();
    save();
  });
  dialog.addEventListener("close", () => {
    track = null;
    focusOpener();
    opener = null;
  });
  return open;
}

// The preferences are read before the dialog opens, so that nothing typed
// into it can be overwritten by their arrival.
async function open(trackName, from) {
  track = trackName;
  opener = from ?? document.activeElement;
  openerKey = opener?.closest?.("[data-key]")?.dataset.key ?? null;
  let error = null;
  try {
    const reply = await get("prefs", trackName);
    loaded = reply.prefs ?? {};
  } catch (err) {
    loaded = {};
    error = err;
  }
  if (track !== trackName) return;
  $("prefs-track").textContent = trackName;
  const editable = has("prefs");
  for (const [id, name] of FIELDS) {
    $(id).value = loaded[name] ?? "";
    $(id).readOnly = !editable;
  }
  $("pref-random").checked = loaded.pick_at_random !== "0";
  $("pref-random").disabled = !editable;
  $("prefs-save").hidden = !editable;
  showError($("prefs-error"), error);
  $("prefs-saved").textContent = "";
  if (!dialog.open) dialog.showModal();
}

// Back to the button that opened the dialog, or, when its list was redrawn
// meanwhile, to the same button of the same row.
function focusOpener() {
  if (!opener) return;
  if (opener.isConnected) {
    opener.focus();
    return;
  }
  const key = opener.closest("[data-key]")?.dataset.key ?? openerKey;
  if (key === undefined || key === null) return;
  for (const row of document.querySelectorAll("[data-key]")) {
    if (row.dataset.key !== key || row.closest("[hidden]")) continue;
    const target = row.querySelector('[data-action="prefs"]');
    if (target) {
      target.focus();
      return;
    }
  }
}

function close() {
  dialog.close();
}

async function save() {
  if (!track || !has("prefs")) return;
  const name = track;
  await act($("prefs-save"), $("prefs-error"), async () => {
    const changes = [];
    for (const [id, pref] of FIELDS) {
      const value = $(id).value.trim();
      if (value !== (loaded[pref] ?? "")) changes.push([pref, value]);
    }
    const random = $("pref-random").checked;
    const wasRandom = loaded.pick_at_random !== "0";
    if (random !== wasRandom) changes.push(["pick_at_random", random ? "" : "0"]);
    for (const [pref, value] of changes) {
      if (value === "") await command("unset", [name, pref]);
      else await command("set", [name, pref, value]);
      if (value === "") delete loaded[pref];
      else loaded[pref] = value;
    }
    // The dialog stays open (Close closes it), saying that it is saved.
    $("prefs-saved").textContent = changes.length ? "Saved." : "Nothing to save.";
    if (changes.length && onSaved) onSaved(name, changes.map(([pref]) => pref));
  });
}
