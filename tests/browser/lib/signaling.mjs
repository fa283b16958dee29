// signaling.mjs: a raw signaling WebSocket client (the 'ws' package) for tests
// that speak docs/signaling.md by hand.
//
// openSignaling(baseUrl, {protocol}) -> SignalingClient once the socket is
// open (rejects if the handshake is refused).  The client keeps every parsed
// message; next(pred) resolves with the first not-yet-consumed message that
// matches, waiting for more if needed.
import WebSocket from 'ws';

export const SUBPROTOCOL = 'imsd.signaling.v1';

export class SignalingClient {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.raw = [];
    this.consumed = 0;
    this.waiters = [];
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      let msg;
      try { msg = JSON.parse(text); } catch { msg = { type: '(not json)', text }; }
      this.messages.push(msg);
      this.wake();
    });
    ws.on('error', () => { /* close follows */ });
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(obj) {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Resolves with the next message (after those already returned) matching pred. */
  async next(pred = () => true, { timeoutMs = 10000, what = 'a message' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.consumed < this.messages.length) {
        const msg = this.messages[this.consumed++];
        if (pred(msg)) return msg;
      }
      if (this.closeInfo) throw new Error(`socket closed (${JSON.stringify(this.closeInfo)}) before ${what}; got ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** The next `error` message; asserts nothing itself. */
  nextError(opts) {
    return this.next((m) => m.type === 'error', { what: 'an error message', ...opts });
  }

  /** Waits for the socket to close (resolves {code, reason}); rejects after timeoutMs. */
  async waitClosed(timeoutMs = 10000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close() {
    try { this.ws.terminate(); } catch { /* gone */ }
  }
}

/**
 * Opens ws://.../ws.  protocol: a subprotocol string, or null for none.
 * Resolves with a SignalingClient when open; rejects with an Error carrying
 * .refused = true (and .statusCode when the server answered HTTP) otherwise.
 */
export function openSignaling(baseUrl, { protocol = SUBPROTOCOL, timeoutMs = 10000 } = {}) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws`;
  return new Promise((resolve, reject) => {
    const ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
    const client = new SignalingClient(ws);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('WebSocket open timed out')); }, timeoutMs);
    const refuse = (why, statusCode) => {
      clearTimeout(timer);
      const err = new Error(`WebSocket refused: ${why}`);
      err.refused = true;
      err.statusCode = statusCode;
      reject(err);
    };
    ws.once('open', () => { clearTimeout(timer); resolve(client); });
    ws.once('unexpected-response', (req, res) => { refuse(`HTTP ${res.statusCode}`, res.statusCode); ws.terminate(); });
    ws.once('error', (err) => refuse(err.message));
    ws.once('close', (code) => refuse(`closed ${code}`));
  });
}

/**
 * A raw HTTP upgrade to /ws (node:http), so the outcome is what the server
 * did, not what a client library thinks of it.  Resolves with
 * {upgraded: true, protocol} on 101, {upgraded: false, statusCode} on an HTTP
 * answer, or {upgraded: false, error} if the server just closed.
 */
export async function rawUpgrade(baseUrl, protocol) {
  const http = await import('node:http');
  const crypto = await import('node:crypto');
  const url = new URL('/ws', baseUrl);
  return new Promise((resolve) => {
    const headers = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
    };
    if (protocol) headers['Sec-WebSocket-Protocol'] = protocol;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, headers, timeout: 10000 });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ upgraded: true, statusCode: res.statusCode, protocol: res.headers['sec-websocket-protocol'] || null });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ upgraded: false, statusCode: res.statusCode });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ upgraded: false, error: err.message }));
    req.end();
  });
}
