// token.mjs: HS256 JWTs made by the test itself (expired, forged, ...).
import crypto from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Signs {sub, aud, iat, exp, ...extra} with secret (HS256). */
export function signToken(secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const head = b64url(JSON.stringify(header));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(sig)}`;
}

/** A candidate token for sessionId, valid for secondsValid from now (negative: expired). */
export function candidateToken(secret, sessionId, secondsValid = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return signToken(secret, { sub: sessionId, aud: 'imsd.candidate', iat: now - 7200, exp: now + secondsValid });
}
