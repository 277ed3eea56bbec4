import { createHmac } from 'node:crypto';
import { hashSecret, isSecretShaped } from './secrets.js';

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * A refresh token is `<session id>.<secret>`. The session id lets Sesame find the session's
 * state without an index on secrets; only the secret's SHA-256 is stored.
 */
export function formatRefreshToken(sessionId: string, secret: string): string {
  return `${sessionId}.${secret}`;
}

/** The parts of a refresh token, or null when it does not have the shape of one. */
export function parseRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const dot = token.indexOf('.');
  const sessionId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return dot > 0 && SESSION_ID_PATTERN.test(sessionId) && isSecretShaped(secret) ? { sessionId, secret } : null;
}

/**
 * The secret of the token that replaces `parentSecret`: HMAC-SHA256 under the refresh key.
 * Being a function of the parent, it is the same however often the parent is presented, so a
 * retry within the grace window gets the very token the first attempt got (DESIGN.md §3).
 */
export function deriveChildSecret(refreshKey: Buffer, parentSecret: string): string {
  return createHmac('sha256', refreshKey).update(parentSecret).digest('base64url');
}

/**
 * True when a descendant of `secret`, at most `maxSteps` rotations on, is the token whose hash
 * is `currentHash`: `secret` was really issued in this session and has been used up. Only
 * someone who held that token can present it, so ending the session on it cannot be abused
 * by guessing.
 */
export function isUsedAncestor(refreshKey: Buffer, secret: string, currentHash: string, maxSteps: number): boolean {
  let candidate = secret;
  for (let step = 0; step < maxSteps; step += 1) {
    candidate = deriveChildSecret(refreshKey, candidate);
    if (hashSecret(candidate) === currentHash) return true;
  }
  return false;
}
