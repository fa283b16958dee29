// room-records.mjs: what a live room leaves behind (docs/live-rooms.md,
// "Records and store", "Events"), read back for tests/browser/room.test.mjs:
//
//   roomRows(imsd, roomId)   -> {room, segments (by index), recordings, takes} rows of PostgreSQL
//   segmentIndex(row), segmentQuestion(row) -> a room_segments row's index and question (null: opening)
//   roomEvents(imsd, kafka, {roomId, sessionId, interviewId, fileIds})
//                            -> the room's events on Kafka, in outbox order, with the
//                               outbox rows: {events: [{eventType, payload, ...}], messages, outbox}
//   waitForRoomDone(imsd, roomId) -> the GET /api/v1/rooms/{id} body once its
//                               composite is ready (throws on `failed`)
//   startRoomStack({name, keyPrefix, reviewSecret}) -> {kafka, s3, imsd}: a
//                               fresh database imsd_e2e_<name>, a Kafka mock,
//                               an s3rver and imsd pointed at them;
//                               stopRoomStack(stack) keeps their data if a test failed
import { query, takeRows } from './db.mjs';
import { waitFor, startImsd, dropDatabase } from './imsd.mjs';
import { startKafkaMock } from './kafka.mjs';
import { startS3rver } from './s3.mjs';

export async function startRoomStack({ name, keyPrefix, reviewSecret }) {
  const stack = {};
  dropDatabase(`imsd_e2e_${name}`);
  stack.kafka = await startKafkaMock({ name });
  stack.s3 = await startS3rver({ name });
  const env = { ...stack.s3.imsdEnv({ keyPrefix }), ...stack.kafka.imsdEnv(), IMSD_PROCESSING_RETRY_MAX_SECONDS: '2',
    IMSD_REVIEW_JWT_SECRET: reviewSecret };
  stack.imsd = await startImsd({ name, env });
  return stack;
}

export async function stopRoomStack({ kafka, s3, imsd }) {
  if (imsd) {
    if (imsd.failed) { if (s3) s3.keep = true; if (kafka) kafka.keep = true; }
    await imsd.shutdown();
  }
  if (s3) await s3.shutdown();
  if (kafka) await kafka.shutdown();
}

const TOPICS = ['candidate-events', 'media-events', 'interview-events'];

function uuid(id) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a UUID: ${id}`);
  return id;
}

/** A room_segments row's index (ImsRoomSegment.index; docs/database.md, migration 8). */
export const segmentIndex = (row) => Number(row.idx);

/** A room_segments row's question index (null: the opening). */
export const segmentQuestion = (row) => (row.question_idx === null ? null : Number(row.question_idx));

export async function roomRows(imsd, roomId) {
  const [room] = await query(imsd, `SELECT * FROM rooms WHERE id = '${uuid(roomId)}'`);
  const segments = await query(imsd, `SELECT * FROM room_segments WHERE room_id = '${uuid(roomId)}' ORDER BY idx`);
  const recordings = await query(imsd, `SELECT * FROM room_recordings WHERE room_id = '${uuid(roomId)}'`);
  const takes = room ? await takeRows(imsd, room.session_id) : [];
  return { room, segments, recordings, takes };
}

/**
 * The events of one room's interview on Kafka (payload.interviewId, or
 * payload.roomId, or the session's id, or a fileId of fileIds: media.processed
 * names only its file), in outbox order, once every outbox row is sent.
 */
export async function roomEvents(imsd, kafka, { roomId, sessionId, interviewId, fileIds = [] }) {
  await waitFor(async () => {
    const [{ n }] = await query(imsd, 'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    return n === 0;
  }, { timeoutMs: 60000, intervalMs: 300, what: 'no unsent outbox row' });
  const outbox = await query(imsd, 'SELECT id, event_id, event_type, topic, message_key, sent_at FROM outbox ORDER BY id');
  const messages = [];
  for (const t of TOPICS) messages.push(...await kafka.consume(t));
  const order = new Map(outbox.map((row, i) => [row.event_id, i]));
  const files = new Set(fileIds);
  const mine = (p) => p && (p.roomId === roomId || p.sessionId === sessionId || p.interviewId === interviewId
    || files.has(p.fileId));
  const events = messages.filter((m) => m.value && mine(m.value.payload))
    .sort((a, b) => (order.get(a.value.eventId) ?? 1e9) - (order.get(b.value.eventId) ?? 1e9))
    .map((m) => m.value);
  return { events, messages, outbox };
}

export async function waitForRoomDone(imsd, roomId, { timeoutMs = 240000 } = {}) {
  return waitFor(async () => {
    const res = await imsd.request('GET', `/api/v1/rooms/${roomId}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/rooms/${roomId}: HTTP ${res.status} ${res.text}`);
    const c = res.json.composite || {};
    if (c.status === 'failed') throw new Error(`composite failed: ${res.text}`);
    return c.status === 'ready' ? res.json : null;
  }, { timeoutMs, intervalMs: 1000, what: `the composite of room ${roomId} ready` });
}
