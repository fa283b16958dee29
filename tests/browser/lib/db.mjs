// db.mjs: read imsd's PostgreSQL tables through the psql CLI (no node driver).
// Every function takes the ImsdProcess whose database it reads.
//
// query(imsd, sql) runs one SELECT and returns its rows as plain objects (the query
// is wrapped in json_agg, so column names and types come back as JSON).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Rows of a SELECT as objects. Values must be trusted (tests only build SQL from UUIDs). */
export async function query(imsd, sql) {
  const wrapped = `SELECT coalesce(json_agg(row_to_json(q)), '[]'::json) FROM (${sql}) q`;
  const { stdout } = await run('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1',
    '-d', imsd.databaseUrl, '-c', wrapped], { encoding: 'utf8' });
  return JSON.parse(stdout.trim());
}

function uuid(id) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a UUID: ${id}`);
  return id;
}

export async function sessionRow(imsd, sessionId) {
  const rows = await query(imsd, `SELECT * FROM sessions WHERE id = '${uuid(sessionId)}'`);
  return rows[0] || null;
}

/** Every take of a session, ordered by question and number. */
export async function takeRows(imsd, sessionId) {
  return query(imsd, `SELECT * FROM takes WHERE session_id = '${uuid(sessionId)}' ORDER BY question_idx, number`);
}

/** Runs one statement that returns no rows (UPDATE, DELETE); values must be trusted as in query(). */
export async function execute(imsd, sql) {
  await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', imsd.databaseUrl, '-c', sql], { encoding: 'utf8' });
}
