// The Listen view: a player for disorder-web's own stream, where the jukebox
// streams (rtp-address), its SDP description, and the disorder-playrtp
// command line to copy, or, when each listener asks for a stream of its own,
// the command that asks for one.

import { get } from "./api.js";
import { $, showError, clearError } from "./dom.js";

let address = null; // {host, port}

export function init() {
  $("listen-copy").addEventListener("click", copy);
  $("listen-port").addEventListener("input", renderCommand);
  $("listen-request-form").addEventListener("submit", (e) => e.preventDefault());
  return { load };
}

async function load() {
  clearError($("listen-error"));
  $("listen-none").hidden = true;
  address = null;
  let lines = [];
  try {
    const { host, port } = await get("rtp-address");
    if (host !== null && host !== undefined && host !== "")
      address = { host: String(host), port: String(port ?? "") };
  } catch (err) {
    if (err.status !== 404) showError($("listen-error"), err);
  }
  if (address) {
    try {
      lines = (await get("rtp-sdp")).lines ?? [];
    } catch {
      lines = []; // the command line is enough
    }
  } else {
    $("listen-none").hidden = !!$("listen-error").textContent;
  }
  $("listen-sdp").textContent = lines.join("\n");
  $("listen-sdp-box").hidden = lines.length === 0;
  render();
}

function requestMode() {
  return address && (address.host === "-" || address.port === "-");
}

function render() {
  // disorder-web's own stream (/stream.opus) exists wherever an RTP one does.
  $("listen-stream").hidden = !address;
  $("listen-facts").hidden = !address || requestMode();
  $("listen-address").textContent = address ? `${address.host} port ${address.port}` : "";
  $("listen-request-form").hidden = !requestMode();
  renderCommand();
}

function renderCommand() {
  let line = "";
  if (requestMode()) {
    const port = $("listen-port").value.trim();
    line = /^\d+$/.test(port) ? `disorder-playrtp -- -${port}` : "disorder-playrtp -- -";
  } else if (address) {
    line = `disorder-playrtp ${address.host} ${address.port}`;
  }
  $("listen-command").textContent = line;
  $("listen-command-box").hidden = !line;
  $("listen-copied").textContent = "";
}

async function copy() {
  const text = $("listen-command").textContent;
  const note = $("listen-copied");
  try {
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    note.textContent = "Copied.";
  } catch {
    // Without clipboard access (plain HTTP on another host), select the text
    // so that the user can copy it by hand.
    const range = document.createRange();
    range.selectNodeContents($("listen-command"));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    note.textContent = "Selected: press Ctrl+C (or \u2318C) to copy.";
  }
}
