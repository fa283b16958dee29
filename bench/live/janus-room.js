// janus-room.js: the Janus side of bench/live-room.mjs: one participant of a
// VideoRoom room (bench/live-room.mjs writes the rooms into the VideoRoom
// config: record = true, the codec forced).  Lifecycle: load -> Janus session
// + publisher handle (bench.attached) -> the runner calls bench.join() on both
// pages -> joined as publisher (display = role) -> createOffer with the clock
// canvas and the microphone -> configure -> answer -> for every other
// publisher in the joined reply or a later event: a subscriber handle, join
// as subscriber to its feed, Janus's offer -> createAnswer (receive only) ->
// start -> its video track read by room-media.js (bench.samples).
// Marks (Date.now()): joinSent, joined, published (webrtcup of the publisher
// handle), subscribed (first remote track).
'use strict';

const janusRoom = Number(benchQuery.get('room'));
const janusRole = benchQuery.get('role') || 'participant';
Object.assign(bench, { attached: null, joinSent: null, joined: null, published: null, subscribed: null, feeds: [] });

let janusSession = null;
let publisher = null;
let localTracks = null;
const subscribedFeeds = new Set();

// janus.js asks adapter.js which browser this is; the page runs in Chromium only.
const chromeVersion = Number((navigator.userAgent.match(/Chrom(?:e|ium)\/(\d+)/) || [])[1]) || 120;

bench.join = async () => {
  bench.joinSent = Date.now();
  try { localTracks = await benchLocalMedia(); } catch (err) { benchFail('local media', err); return; }
  publisher.send({ message: { request: 'join', room: janusRoom, ptype: 'publisher', display: janusRole } });
};

function janusPublish() {
  publisher.createOffer({
    tracks: [{ type: 'audio', capture: localTracks.audio, recv: false },
             { type: 'video', capture: localTracks.video, recv: false }],
    success: async (jsep) => {
      const pc = publisher.webrtcStuff.pc;
      bench.pcs.publish = pc;
      for (const s of pc.getSenders()) await benchTuneSender(s);
      publisher.send({ message: { request: 'configure', audio: true, video: true }, jsep });
    },
    error: (err) => benchFail('createOffer', err),
  });
}

function janusSubscribe(publishers) {
  for (const p of publishers || []) {
    if (subscribedFeeds.has(p.id)) continue;
    subscribedFeeds.add(p.id);
    bench.feeds.push(p.id);
    let handle = null;
    janusSession.attach({
      plugin: 'janus.plugin.videoroom',
      opaqueId: `imsd-bench-sub-${janusRole}`,
      success: (h) => {
        handle = h;
        handle.send({ message: { request: 'join', room: janusRoom, ptype: 'subscriber', streams: [{ feed: p.id }] } });
      },
      error: (err) => benchFail('attach subscriber', err),
      onremotetrack: (track, mid, on) => {
        if (!on) return;
        if (bench.subscribed === null) bench.subscribed = Date.now();
        benchReceive(track);
      },
      onmessage: (msg, jsep) => {
        if (msg.error) benchFail('subscriber', `${msg.error_code} ${msg.error}`);
        if (!jsep) return;
        handle.createAnswer({
          jsep,
          tracks: [],
          success: (answer) => {
            bench.pcs[`sub:${p.id}`] = handle.webrtcStuff.pc;
            handle.send({ message: { request: 'start', room: janusRoom }, jsep: answer });
          },
          error: (err) => benchFail('createAnswer', err),
        });
      },
    });
  }
}

function janusAttachPublisher() {
  janusSession.attach({
    plugin: 'janus.plugin.videoroom',
    opaqueId: `imsd-bench-pub-${janusRole}`,
    success: (handle) => { publisher = handle; bench.attached = Date.now(); document.getElementById('status').textContent = 'attached'; },
    error: (err) => benchFail('attach', err),
    webrtcState: (up) => { if (up && bench.published === null) bench.published = Date.now(); },
    onmessage: (msg, jsep) => {
      if (msg.error) benchFail('videoroom', `${msg.error_code} ${msg.error}`);
      if (msg.videoroom === 'joined' && bench.joined === null) {
        bench.joined = Date.now();
        janusPublish();
      }
      if (msg.publishers) janusSubscribe(msg.publishers);
      if (jsep) publisher.handleRemoteJsep({ jsep, error: (err) => benchFail('remote jsep', err) });
    },
  });
}

Janus.init({
  debug: false,
  dependencies: Janus.useDefaultDependencies({ adapter: { browserDetails: { browser: 'chrome', version: chromeVersion } } }),
  callback: () => {
    janusSession = new Janus({
      server: benchQuery.get('ws'),
      success: janusAttachPublisher,
      error: (err) => benchFail('session', err),
    });
  },
});
