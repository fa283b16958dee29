// What the candidate and room pages share of signaling (docs/signaling.md):
// the subprotocol, the WebSocket address, the reconnect backoff, the ICE
// servers a page is given in its address (?stun=), and the trickle-ICE
// queues of one RTCPeerConnection.  No page state.

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
