// The Playlists view: the playlists this user may read, creating one, and
// the open playlist being edited (tracks added from Choose, removed and
// reordered here, then saved with its sharing status), playing and deleting.

import { command, currentSession, get, has } from "./api.js";
import {
  $,
  act,
  button,
  clearError,
  fmtDuration,
  h,
  replaceRows,
  showError,
  throttle,
  trackLabel,
} from "./dom.js";

let ctx;
let names = [];
let open = null; // {name, tracks: [TRACK], share, savedShare, dirty, changedElsewhere}

// Who may change a playlist: anyone with play for a shared NAME, only the
// owner for OWNER.NAME (see disorder_protocol(5), PLAYLISTS).
function mayChange(name) {
  if (!has("play")) return false;
  const dot = name.indexOf(".");
  return dot < 0 || name.slice(0, dot) === currentSession().user;
}

export function init(context) {
  ctx = context;
  $("playlist-new-form").addEventListener("submit", (e) => {
    e.preventDefault();
    create(e.submitter || $("playlist-new-form").querySelector("button"));
  });
  $("playlist-save").addEventListener("click", save);
  $("playlist-close").addEventListener("click", () => closeEditor(true));
  $("playlist-share").addEventListener("change", (e) => {
    if (!open) return;
    open.share = e.target.value;
    markDirty();
  });
  // openName: the open playlist, if this user may add to it.
  return {
    load,
    log,
    session: render,
    openName: () => (open && mayChange(open.name) ? open.name : null),
    add,
  };
}

const refreshList = throttle(async () => {
  if (!ctx.isVisible("playlists")) return ctx.refresh("playlists");
  await loadList();
}, 100);

async function load() {
  await loadList();
  if (open && !open.dirty) await loadOpen(open.name);
}

async function loadList() {
  clearError($("playlists-error"));
  try {
    const reply = await get("playlists");
    names = reply.lines ?? [];
  } catch (err) {
    names = [];
    showError($("playlists-error"), err);
  }
  render();
}

function log(type, fields) {
  if (!type.startsWith("playlist_")) return;
  refreshList();
  if (!open || fields[0] !== open.name) return;
  if (type === "playlist_deleted") {
    closeEditor(false);
    showError($("playlists-error"), { message: `The playlist \u201c${fields[0]}\u201d was deleted.` });
  } else if (!open.dirty) {
    loadOpen(open.name);
  } else {
    open.changedElsewhere = true;
    renderEditor();
  }
}

function render() {
  const canCreate = has("play");
  $("playlist-new-form").hidden = !canCreate;
  $("playlist-new-hint").hidden = !canCreate;
  $("playlist-new-form").parentElement.hidden = !canCreate;
  const user = currentSession().user;
  $("playlist-own-example").textContent = `${user && !currentSession().guest ? user : "you"}.name`;
  replaceRows($("playlists"), names.map(playlistRow));
  $("playlists-empty").hidden = names.length > 0;
  renderEditor();
}

function playlistRow(name) {
  const alert = h("p", { class: "alert", role: "alert", hidden: true });
  const status = h("span", { class: "done", "aria-live": "polite" });
  const isOpen = open && open.name === name;
  return h(
    "li",
    { class: isOpen ? "playlist open" : "playlist", dataset: { key: name } },
    h("div", { class: "entry-main" }, h("span", { class: "title" }, name)),
    h(
      "div",
      { class: "entry-actions" },
      status,
      button("Open", (e) => act(e.currentTarget, alert, () => openPlaylist(name, true)), {
        class: "small",
        dataset: { action: "open" },
      }),
      has("play")
        ? button("Play", (e) =>
            act(e.currentTarget, alert, async () => {
              const reply = await get("playlist-get", name);
              for (const t of reply.tracks ?? []) await command("play", [t.track]);
              status.textContent = "Queued";
            }),
          { class: "small" })
        : null,
      mayChange(name)
        ? button("Delete", (e) =>
            act(e.currentTarget, alert, async () => {
              await command("playlist-delete", [name]);
              if (open && open.name === name) closeEditor(false);
              names = names.filter((n) => n !== name);
              render();
              $("playlist-new").focus();
            }),
          { class: "small danger" })
        : null,
    ),
    alert,
  );
}

async function create(btn) {
  const name = $("playlist-new").value.trim();
  if (!name) {
    showError($("playlist-new-error"), { message: "Type a name for the new playlist." });
    return;
  }
  // Another user's OWNER.NAME: disorderd would refuse it (only the owner may
  // change it); say so at once, in its words.
  const dot = name.indexOf(".");
  if (dot > 0 && !mayChange(name)) {
    showError($("playlist-new-error"), {
      message: `Access denied: the playlist \u201c${name}\u201d would belong to ${name.slice(0, dot)}.`,
    });
    return;
  }
  const ok = await act(btn, $("playlist-new-error"), async () => {
    // playlist-set would empty an existing playlist of that name.
    const exists = await get("playlists");
    if ((exists.lines ?? []).includes(name))
      throw new Error(`There is already a playlist called \u201c${name}\u201d.`);
    await command("playlist-set", [name], []);
    await openPlaylist(name, true);
  });
  if (ok) {
    $("playlist-new").value = "";
    refreshList();
  }
}

async function loadOpen(name) {
  const [tracks, share] = await Promise.all([get("playlist-get", name), get("playlist-get-share", name)]);
  open = {
    name,
    tracks: tracks.tracks ?? [],
    share: share.value ?? "",
    savedShare: share.value ?? "",
    dirty: false,
    changedElsewhere: false,
  };
  render();
  openChanged();
}

// Choose offers "Add to playlist" while a playlist is open.
function openChanged() {
  if (ctx.isVisible("choose")) ctx.view("choose")?.shown?.();
}

async function openPlaylist(name, focus) {
  if (open && open.dirty && open.name !== name) {
    // Opening another drops unsaved changes; say so rather than lose them silently.
    showError($("playlist-error"), {
      message: `Save or close \u201c${open.name}\u201d first: it has unsaved changes.`,
    });
    throw new Error(`\u201c${open.name}\u201d has unsaved changes.`);
  }
  await loadOpen(name);
  if (focus) $("playlist-editor-title").focus();
}

function closeEditor(focusList) {
  open = null;
  render();
  openChanged();
  if (focusList) $("playlist-new").focus();
}

function markDirty() {
  open.dirty = true;
  renderEditor();
}

// From Choose: adds a track at the end of the open playlist.
function add(track) {
  if (!open) return;
  open.tracks.push(track);
  markDirty();
}

function renderEditor() {
  const box = $("playlist-editor");
  box.hidden = !open;
  if (!open) return;
  const editable = mayChange(open.name);
  const title = $("playlist-editor-title");
  title.textContent = open.name;
  title.tabIndex = -1;
  const dirty = $("playlist-dirty");
  dirty.hidden = !open.dirty;
  dirty.textContent = open.changedElsewhere
    ? "Unsaved changes; this playlist was also changed elsewhere. Saving replaces those changes."
    : "Unsaved changes.";
  const list = $("playlist-tracks");
  const focused = document.activeElement;
  let keep = null;
  if (focused && list.contains(focused)) {
    const li = focused.closest("li");
    keep = { index: Number(li.dataset.index), action: focused.dataset.action };
  }
  list.replaceChildren(...open.tracks.map((t, i) => playlistTrackRow(t, i, editable)));
  if (keep) {
    let index = keep.index;
    if (keep.action === "up") index -= 1;
    if (keep.action === "down") index += 1;
    index = Math.max(0, Math.min(index, open.tracks.length - 1));
    const li = list.children[index];
    const target = li && (li.querySelector(`button[data-action="${keep.action}"]`) || li.querySelector("button"));
    if (target) target.focus();
    else $("playlist-save").focus();
  }
  $("playlist-tracks-empty").hidden = open.tracks.length > 0;
  const share = $("playlist-share");
  const owned = open.name.includes(".");
  for (const option of share.options)
    option.disabled = owned ? option.value === "shared" : option.value !== "shared";
  share.value = open.share || (owned ? "private" : "shared");
  share.disabled = !editable;
  $("playlist-save").hidden = !editable;
}

function playlistTrackRow(t, i, editable) {
  const move = (delta) => {
    const j = i + delta;
    if (j < 0 || j >= open.tracks.length) return;
    [open.tracks[i], open.tracks[j]] = [open.tracks[j], open.tracks[i]];
    markDirty();
  };
  return h(
    "li",
    { class: "entry", dataset: { index: String(i) } },
    h("div", { class: "entry-main" }, trackLabel(t), t.length ? h("span", { class: "meta len" }, fmtDuration(t.length)) : null),
    editable
      ? h(
          "div",
          { class: "entry-actions" },
          button("Move up", () => move(-1), { class: "small", dataset: { action: "up" } }),
          button("Move down", () => move(1), { class: "small", dataset: { action: "down" } }),
          button(
            "Remove",
            () => {
              open.tracks.splice(i, 1);
              markDirty();
            },
            { class: "small", dataset: { action: "remove" } },
          ),
        )
      : null,
  );
}

async function save(e) {
  if (!open) return;
  const name = open.name;
  const btn = e.currentTarget;
  await act(btn, $("playlist-error"), async () => {
    await command("playlist-set", [name], open.tracks.map((t) => t.track));
    if (open && open.share && open.share !== open.savedShare)
      await command("playlist-set-share", [name, open.share]);
    if (open && open.name === name) {
      open.dirty = false;
      open.changedElsewhere = false;
      open.savedShare = open.share;
    }
    renderEditor();
  });
}
