// The live event stream (api/events, Server-Sent Events): hands each
// disorderd event-log line to the views, tells them when to refetch
// everything, and keeps the connection status line up to date.

const LOST = "Connection to the jukebox lost \u2014 reconnecting\u2026";

export class EventStream {
  // handlers: {refetch(), log(type, fields, time)}; statusEl the role=status line.
  constructor(statusEl, handlers) {
    this.statusEl = statusEl;
    this.handlers = handlers;
    this.source = null;
    this.streamDown = false;
    this.serverDown = false;
    this.retryTimer = null;
    this.retryDelay = 2000;
  }

  // quiet: the caller fetches what it shows once the stream is open (see
  // firstHello), so the first hello need not refetch.
  start(quiet = false) {
    this.stop();
    this.quiet = quiet;
    this.firstHello = new Promise((resolve) => (this.helloSeen = resolve));
    const source = new EventSource("api/events");
    this.source = source;
    source.addEventListener("open", () => {
      this.retryDelay = 2000;
    });
    source.addEventListener("hello", (e) => {
      this.streamDown = false;
      const data = parse(e.data);
      this.update();
      const quiet = this.quiet;
      this.quiet = false;
      this.helloSeen?.();
      this.helloSeen = null;
      // Even the first hello, unless the caller waits for it: what was
      // fetched before the stream was connected may have missed events.
      if ((!data || !data.resumed) && !quiet) this.handlers.refetch();
    });
    source.addEventListener("server", (e) => {
      const data = parse(e.data);
      if (!data) return;
      const wasDown = this.serverDown;
      this.serverDown = !data.up;
      this.update();
      if (data.up && wasDown) this.handlers.refetch();
    });
    source.addEventListener("log", (e) => {
      const data = parse(e.data);
      if (data && typeof data.type === "string")
        this.handlers.log(data.type, Array.isArray(data.fields) ? data.fields : [], data.time);
    });
    source.addEventListener("error", () => {
      if (this.source !== source) return;
      this.streamDown = true;
      this.update();
      // The browser retries by itself after a network error; after an HTTP
      // error (disorder-web restarting behind a proxy, say) it gives up, and
      // we start again a little later.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.source = null;
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.start(), this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, 30000);
      }
    });
  }

  // Resolves at the first hello, or after `ms` (then the first hello
  // refetches as any other does).
  async opened(ms) {
    if (!this.source) return;
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, ms, "late")));
    const how = await Promise.race([this.firstHello, late]);
    clearTimeout(timer);
    if (how === "late") this.quiet = false;
  }

  stop() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    this.source = null;
    this.streamDown = false;
    this.serverDown = false;
    this.update();
  }

  update() {
    const text = this.streamDown || this.serverDown ? LOST : "";
    if (this.statusEl.textContent !== text) this.statusEl.textContent = text;
  }
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
