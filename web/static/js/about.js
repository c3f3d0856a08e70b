// The About view: the server's version (from the session) beside the help
// text, which is in the page itself.

import { currentSession } from "./api.js";
import { $ } from "./dom.js";

export function init() {
  return { load: render, session: render };
}

function render() {
  $("about-version").textContent = currentSession().version || "unknown";
}
