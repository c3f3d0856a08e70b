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

  start() {
    this.stop();
    const source = new EventSource("api/events");
    this.source = source;
    source.addEventListener("open", () => {
      this.retryDelay = 2000;
    });
    source.addEventListener("hello", (e) => {
      this.streamDown = false;
      const data = parse(e.data);
      this.update();
      // Even the first hello: what was fetched before the stream was
      // connected may have missed events.
      if (!data || !data.resumed) this.handlers.refetch();
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
