// The room page's RTCPeerConnections (docs/live-rooms.md, "Signaling"): one
// sendonly pc per stream it publishes (pc id "pub:<stream>": camera = audio +
// video, screen = video only) and one recvonly pc per remote stream it
// subscribes to (pc id "sub:<participantId>:<stream>").
//
// Lifecycle of one pc: created -> offer sent (publish / subscribe, then its
// ICE candidates with its pc id) -> answer set (the server's `answer` with
// the same pc id) -> connected -> closed (unpublish / unsubscribe, the stream
// left room.state, the socket closed: the server forgets every pc of a
// connection, so the page starts again from scratch on the next one, or the
// browser reports it failed: `onFailed` and room.js asks again).
//
// No DOM here: remote media go to `onRemoteStream(id, participantId, stream,
// mediaStream)` and their end to `onRemoteGone(id)`.
import { IceQueues } from '../shared/signaling.js';
import { preferVideoCodecs, tuneVideoSender } from '../shared/video-codecs.js';

const VIDEO_MAX_BITRATE = 2500000;
const SCREEN_MAX_BITRATE = 1500000;

export const publishId = (stream) => `pub:${stream}`;
export const subscribeId = (participantId, stream) => `sub:${participantId}:${stream}`;

export class RoomPeers {
  /**
   * send(obj) -> boolean: a signaling message.  iceServers: RTCIceServer[].
   * callbacks: {onRemoteStream, onRemoteGone, onFailed(id), onError(where, err)}.
   */
  constructor(send, iceServers, callbacks) {
    this.send = send;
    this.iceServers = iceServers;
    this.callbacks = callbacks;
    this.peers = new Map(); // pc id -> {id, pc, ice, kind, participantId, stream, answered, media}
  }

  /** The RTCPeerConnections by pc id (the page's test hooks read their getStats). */
  get pcs() {
    return new Map([...this.peers].map(([id, p]) => [id, p.pc]));
  }

  has(id) {
    return this.peers.has(id);
  }

  newPeer(id, fields) {
    const config = { bundlePolicy: 'max-bundle' };
    if (this.iceServers.length) config.iceServers = this.iceServers;
    const pc = new RTCPeerConnection(config);
    const p = { id, pc, answered: false, media: null, ...fields };
    p.ice = new IceQueues(pc, (c) => this.send({ type: 'ice', pc: id, ...c }),
      (where, err) => { if (this.peers.get(id) === p) this.callbacks.onError(where, err); });
    pc.onicecandidate = (ev) => { if (this.peers.get(id) === p) p.ice.onLocal(ev); };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(id) !== p || pc.connectionState !== 'failed') return;
      this.callbacks.onError('ice_failed', new Error(`${id}: WebRTC connection failed`));
      this.close(id, { tell: true });
      this.callbacks.onFailed(id);
    };
    this.peers.set(id, p);
    return p;
  }

  /** Sends the offer of p once made; false (and p closed) if the browser failed. */
  async offer(p, message) {
    try {
      await p.pc.setLocalDescription(await p.pc.createOffer());
      if (this.peers.get(p.id) !== p) return false;
      if (!this.send({ ...message, sdp: p.pc.localDescription.sdp })) return false;
      p.ice.offerSent();
      return true;
    } catch (err) {
      this.callbacks.onError('offer', err);
      this.close(p.id, { tell: false });
      return false;
    }
  }

  /**
   * Publishes mediaStream as `stream` ("camera": its audio and video track;
   * "screen": its video track).  Replaces an earlier publication of the same
   * stream.  Resolves true once the offer is sent.
   */
  async publish(stream, mediaStream, forcedCodec = '') {
    const id = publishId(stream);
    if (this.peers.has(id)) this.close(id, { tell: false });
    const p = this.newPeer(id, { kind: 'publish', stream });
    const audio = stream === 'camera' ? mediaStream.getAudioTracks()[0] : null;
    const video = mediaStream.getVideoTracks()[0];
    if (audio) p.pc.addTransceiver(audio, { direction: 'sendonly', streams: [mediaStream] });
    if (video) {
      const bitrate = stream === 'screen' ? SCREEN_MAX_BITRATE : VIDEO_MAX_BITRATE;
      const transceiver = p.pc.addTransceiver(video, {
        direction: 'sendonly', streams: [mediaStream], sendEncodings: [{ maxBitrate: bitrate }],
      });
      const onError = (where, text) => this.callbacks.onError(where, new Error(text));
      preferVideoCodecs(transceiver, forcedCodec, onError);
      await tuneVideoSender(transceiver.sender, bitrate, onError);
    }
    return this.offer(p, { type: 'publish', stream });
  }

  /** Subscribes to participantId's stream (recvonly; the screen has no audio). */
  async subscribe(participantId, stream) {
    const id = subscribeId(participantId, stream);
    if (this.peers.has(id)) return true;
    const p = this.newPeer(id, { kind: 'subscribe', participantId, stream });
    p.media = new MediaStream();
    if (stream === 'camera') p.pc.addTransceiver('audio', { direction: 'recvonly' });
    p.pc.addTransceiver('video', { direction: 'recvonly' });
    p.pc.ontrack = (ev) => {
      if (this.peers.get(id) !== p) return;
      p.media.addTrack(ev.track);
      this.callbacks.onRemoteStream(id, participantId, stream, p.media);
    };
    return this.offer(p, { type: 'subscribe', participantId, stream });
  }

  /** Closes pc `id`; tell: send unpublish / unsubscribe first (the socket is still up). */
  close(id, { tell }) {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    if (tell && p.kind === 'publish') this.send({ type: 'unpublish', stream: p.stream });
    if (tell && p.kind === 'subscribe') this.send({ type: 'unsubscribe', participantId: p.participantId, stream: p.stream });
    try { p.pc.close(); } catch { /* already closed */ }
    if (p.kind === 'subscribe') this.callbacks.onRemoteGone(id);
  }

  /** Closes every pc without a word to the server (its connection is gone). */
  closeAll() {
    for (const id of [...this.peers.keys()]) this.close(id, { tell: false });
  }

  /**
   * Subscribes to every stream of participants (room.state's, without the
   * page's own participantId) it has not yet, and drops the ones that went.
   */
  sync(participants, selfId) {
    const wanted = new Set();
    for (const person of participants || []) {
      if (person.participantId === selfId) continue;
      for (const stream of person.streams || []) wanted.add(subscribeId(person.participantId, stream));
      for (const stream of person.streams || []) {
        if (!this.peers.has(subscribeId(person.participantId, stream))) this.subscribe(person.participantId, stream);
      }
    }
    for (const [id, p] of [...this.peers]) {
      if (p.kind === 'subscribe' && !wanted.has(id)) this.close(id, { tell: true });
    }
  }

  /** The subscriptions still waiting for their answer (a refused subscribe is one of them). */
  unanswered() {
    return [...this.peers.values()].filter((p) => p.kind === 'subscribe' && !p.answered).map((p) => p.id);
  }

  async onAnswer(msg) {
    const p = this.peers.get(msg.pc);
    if (!p || typeof msg.sdp !== 'string') return;
    try {
      await p.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      p.answered = true;
      await p.ice.answerSet();
    } catch (err) {
      this.callbacks.onError('answer', err);
      this.close(p.id, { tell: true });
      this.callbacks.onFailed(p.id);
    }
  }

  onIce(msg) {
    const p = this.peers.get(msg.pc);
    if (p) p.ice.onRemote(msg);
  }
}
