// What the candidate and room pages share of signaling (docs/signaling.md):
// the subprotocol, the WebSocket address, the reconnect backoff, the ICE
// servers a page is given in its address (?stun=), the trickle-ICE queues
// of one RTCPeerConnection, and the socket itself (SignalingConnection).

export const SUBPROTOCOL = 'imsd.signaling.v1';
export const PING_INTERVAL_MS = 15000;
export const BACKOFF_MAX_MS = 10000;

/** ws(s)://<this host>/ws */
export function signalingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The delay before reconnect attempt n (0, 1, ...): 1 s, 2 s, 4 s ... 10 s. */
export function backoffDelay(attempt) {
  return Math.min(1000 * 2 ** attempt, BACKOFF_MAX_MS);
}

/** ?stun=stun:host:port[,more] as RTCIceServer entries ([] without it). */
export function iceServersFromQuery(query) {
  return (query.get('stun') || '').split(',').map((s) => s.trim()).filter(Boolean)
    .map((url) => ({ urls: url.includes(':') ? url : `stun:${url}` }));
}

/**
 * Trickle ICE of one RTCPeerConnection: local candidates wait until the offer
 * is sent (then flush with send), remote ones until the answer is set.
 *   onLocal(ev)   -- from pc.onicecandidate: {candidate, sdpMLineIndex}, or the
 *                    end of candidates ('' once), handed to send or queued
 *   offerSent()   -- flushes the queued local ones
 *   answerSet()   -- adds the queued remote ones (resolves when done)
 *   onRemote(msg) -- a server `ice` {candidate, sdpMLineIndex} ('' = end)
 * onError(where, err) is called for a candidate the browser refuses.
 */
export class IceQueues {
  constructor(pc, send, onError) {
    this.pc = pc;
    this.send = send;
    this.onError = onError;
    this.sent = false;
    this.remoteSet = false;
    this.endSent = false;
    this.local = [];
    this.remote = [];
  }

  onLocal(ev) {
    let msg;
    if (ev.candidate && ev.candidate.candidate) {
      msg = { candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 };
    } else {
      if (this.endSent) return;
      this.endSent = true;
      msg = { candidate: '', sdpMLineIndex: 0 };
    }
    if (this.sent) this.send(msg);
    else this.local.push(msg);
  }

  offerSent() {
    this.sent = true;
    this.local.splice(0).forEach((m) => this.send(m));
  }

  async answerSet() {
    this.remoteSet = true;
    for (const c of this.remote.splice(0)) await this.add(c);
  }

  onRemote(msg) {
    if (!this.remoteSet) this.remote.push(msg);
    else this.add(msg);
  }

  async add(msg) {
    try {
      if (!msg.candidate) await this.pc.addIceCandidate(); // end of candidates
      else await this.pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex ?? 0 });
    } catch (err) {
      if (msg.candidate) this.onError('addIceCandidate', err);
    }
  }
}

/**
 * One page's signaling WebSocket at a time, with the ping every 15 s.
 *   connect()  -- a new socket (the old one's callbacks go quiet: each socket
 *                 has a generation, and only the newest one's callbacks run);
 *                 false if the browser refused to make one
 *   send(obj)  -- recorded in `sent` (the page's test hooks), sent if open;
 *                 returns whether it was sent
 *   drop()     -- closes the socket on purpose (no onClose)
 *   open       -- the socket is open; exists: there is one (maybe connecting)
 * handlers: {onOpen(), onMessage(msg, generation), onClose(), onLocalError(code, text)};
 * every parsed message is appended to `log` first.
 */
export class SignalingConnection {
  constructor({ sent, log, onOpen, onMessage, onClose, onLocalError }) {
    Object.assign(this, { sent, log, onOpen, onMessage, onClose, onLocalError });
    this.ws = null;
    this.generation = 0;
    this.pingTimer = 0;
  }

  get open() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  get exists() {
    return Boolean(this.ws);
  }

  send(obj) {
    this.sent.push(obj);
    if (!this.open) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  connect() {
    const generation = ++this.generation;
    let socket;
    try {
      socket = new WebSocket(signalingUrl(), SUBPROTOCOL);
    } catch (err) {
      this.onLocalError('websocket', String(err));
      return false;
    }
    this.ws = socket;
    socket.onopen = () => {
      if (generation !== this.generation) return;
      this.onOpen();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_INTERVAL_MS);
    };
    socket.onmessage = (ev) => {
      if (generation !== this.generation) return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        this.onLocalError('bad_json_from_server', String(ev.data).slice(0, 200));
        return;
      }
      this.log.push(msg);
      this.onMessage(msg, generation);
    };
    socket.onclose = () => {
      if (generation !== this.generation) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      this.onClose();
    };
    // onerror is always followed by onclose; nothing to do here.
    return true;
  }

  drop() {
    const socket = this.ws;
    this.generation++;
    this.ws = null;
    clearInterval(this.pingTimer);
    if (socket) {
      try { socket.close(1000); } catch { /* already closed */ }
    }
  }
}
