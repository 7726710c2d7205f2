// The live stream (WebSocket /api/v1/stream): one connection, reconnected with back-off when it
// closes, unless the token is no longer usable (code 4401: log in again).

const TOKEN_UNUSABLE = 4401;

export class LiveStream {
  /**
   * @param {string} token bearer token (browsers cannot set headers on a WebSocket: it goes in the query)
   * @param {{onEvent: Function, onStatus: Function, onResync: Function, onExpired: Function}} handlers
   */
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    this.delayMs = 500;
    this.stopped = false;
    this.socket = null;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/v1/stream?token=${encodeURIComponent(this.token)}`;
    this.handlers.onStatus("connecting…");
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "stream.hello") {
        this.delayMs = 500;
        this.handlers.onStatus("live");
        this.handlers.onResync(); // whatever changed while we were away
      } else if (event.type === "stream.lagged") {
        this.handlers.onResync();
      } else {
        this.handlers.onEvent(event);
      }
    };
    socket.onclose = (closed) => {
      if (this.stopped) return;
      if (closed.code === TOKEN_UNUSABLE) {
        this.handlers.onExpired(closed.reason || "your session ended — log in again");
        return;
      }
      this.handlers.onStatus(`offline — reconnecting in ${Math.round(this.delayMs / 1000)} s`);
      setTimeout(() => this.stopped || this.open(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 10000);
    };
  }

  close() {
    this.stopped = true;
    this.socket?.close();
  }
}
