// The page's client of disorder-web's JSON API: GET for reads, POST with the
// session's CSRF token for changes (refetching the token and retrying once
// when disorder-web says it is stale), and the session itself (who we are,
// what we may do).

export class ApiError extends Error {
  constructor(message, status = 0, code = 0, csrf = false) {
    super(message);
    this.status = status;
    this.code = code;
    this.csrf = csrf;
  }
}

let session = { user: null, guest: false, rights: [], csrf: "", version: "", register: false };
const listeners = new Set();

export function currentSession() {
  return session;
}

// fn(newSession, oldSession) runs on every change of session.
export function onSession(fn) {
  listeners.add(fn);
}

export function has(right) {
  return session.rights.includes(right) || session.rights.includes("all");
}

// A real (not guest) login.
export function loggedIn() {
  return !!session.user && !session.guest;
}

export function setSession(s) {
  const old = session;
  session = {
    user: s.user ?? null,
    guest: !!s.guest,
    // Rights words may be written with spaces, hyphens or underscores.
    rights: Array.isArray(s.rights) ? s.rights.map((r) => String(r).replace(/[-_]/g, " ")) : [],
    csrf: s.csrf ?? "",
    version: s.version ?? "",
    register: !!s.register,
  };
  for (const fn of listeners) fn(session, old);
}

// True when two sessions differ in what the page shows (not just the token).
export function sameIdentity(a, b) {
  return (
    a.user === b.user &&
    a.guest === b.guest &&
    a.register === b.register &&
    a.rights.join(",") === b.rights.join(",")
  );
}

async function request(method, path, payload) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method === "POST") {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-Disorder-CSRF"] = session.csrf;
    init.body = JSON.stringify(payload ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError("Cannot reach the jukebox's web server.");
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body && typeof body === "object" && !("error" in body)) return body;
  const text = body && typeof body.error === "string" ? body.error : `${res.status} ${res.statusText}`;
  // A login that has ended (cookie expired, user deleted): find out who we
  // are now, so that the page shows what that session may see.
  if (res.status === 401 && path !== "api/login" && path !== "api/session") sessionLost();
  const csrf = res.status === 403 && !!body && (body.csrf === true || /csrf/i.test(text));
  throw new ApiError(text, res.status, body?.code ?? 0, csrf);
}

// Takes the session from a reply that carries one (login, confirm,
// logout...), else fetches it.
export async function useSession(reply) {
  if (reply && typeof reply === "object" && "csrf" in reply && "rights" in reply) setSession(reply);
  else await loadSession();
  return session;
}

let checking = null;
function sessionLost() {
  if (checking) return;
  checking = loadSession()
    .catch(() => {})
    .finally(() => {
      setTimeout(() => (checking = null), 5000);
    });
}

export async function loadSession() {
  const s = await request("GET", "api/session");
  setSession(s);
  return session;
}

// POST to an endpoint of disorder-web (api/login, api/PROTOCOLCOMMAND...).
export async function post(path, payload) {
  try {
    return await request("POST", path, payload);
  } catch (err) {
    if (!err.csrf) throw err;
    await loadSession();
    return await request("POST", path, payload);
  }
}

// A protocol read: GET api/COMMAND?arg=A&arg=B.
export function get(command, ...args) {
  const q = new URLSearchParams();
  for (const a of args) q.append("arg", a);
  const query = args.length ? `?${q}` : "";
  return request("GET", `api/${encodeURIComponent(command)}${query}`);
}

// A protocol change: POST api/COMMAND {"args": [...]} (and a body for playlist-set).
export function command(name, args = [], body = undefined) {
  const payload = { args };
  if (body !== undefined) payload.body = body;
  return post(`api/${encodeURIComponent(name)}`, payload);
}
