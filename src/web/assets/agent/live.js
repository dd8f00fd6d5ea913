/* global location, WebSocket, setTimeout */
// The live feed: a WebSocket to /agent/api/live, reopened after a drop (with the state reloaded,
// since events sent while it was down are not replayed).

const PROTOCOL = 'ck-agent.v1';

export class LiveFeed {
  constructor({ csrfToken, onEvent, onState, onSessionEnded, beforeReconnect }) {
    this.csrfToken = csrfToken;
    this.beforeReconnect = beforeReconnect;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onSessionEnded = onSessionEnded;
    this.stopped = false;
    this.delay = 500;
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/agent/api/live`, [PROTOCOL, `csrf.${this.csrfToken}`]);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.delay = 500;
      this.onState('online');
    });
    socket.addEventListener('message', (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === 'event') this.onEvent(frame.event);
      if (frame.type === 'hello') this.onState('online', true);
    });
    socket.addEventListener('close', (event) => {
      this.onState('offline');
      if (this.stopped) return;
      if (event.code === 4401) {
        this.onSessionEnded();
        return;
      }
      setTimeout(async () => {
        if (this.stopped) return;
        try {
          // A refused upgrade looks like any drop: ask the API whether the session still stands.
          this.csrfToken = await this.beforeReconnect();
        } catch {
          if (!this.stopped) setTimeout(() => this.open(), this.delay);
          return;
        }
        if (!this.stopped) this.open();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    });
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000, 'signed out');
  }
}
