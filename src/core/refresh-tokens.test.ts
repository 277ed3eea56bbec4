import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveChildSecret, formatRefreshToken, isUsedAncestor, parseRefreshToken } from './refresh-tokens.js';
import { generateId, generateSecret, hashSecret } from './secrets.js';

describe('refresh tokens', () => {
  it('round-trips the session id and the secret, and refuses anything else', () => {
    const sessionId = generateId();
    const secret = generateSecret();
    expect(parseRefreshToken(formatRefreshToken(sessionId, secret))).toEqual({ sessionId, secret });
    for (const token of ['', '.', secret, `${sessionId}.`, `.${secret}`, `${sessionId}.${secret}x`, `${sessionId}x.${secret}`, `${sessionId}.${secret}.x`]) {
      expect(parseRefreshToken(token)).toBeNull();
    }
  });

  it('derives the same child from the same parent, and different ones under another key', () => {
    const key = randomBytes(32);
    const parent = generateSecret();
    const child = deriveChildSecret(key, parent);
    expect(child).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(deriveChildSecret(key, parent)).toBe(child);
    expect(deriveChildSecret(randomBytes(32), parent)).not.toBe(child);
    expect(deriveChildSecret(key, generateSecret())).not.toBe(child);
  });

  it('recognises a used ancestor within the step bound, and nothing else', () => {
    const key = randomBytes(32);
    const chain = [generateSecret()];
    for (let step = 0; step < 5; step += 1) chain.push(deriveChildSecret(key, chain.at(-1)!));
    const currentHash = hashSecret(chain.at(-1)!);
    expect(isUsedAncestor(key, chain[4]!, currentHash, 5)).toBe(true);
    expect(isUsedAncestor(key, chain[0]!, currentHash, 5)).toBe(true);
    expect(isUsedAncestor(key, chain[0]!, currentHash, 4)).toBe(false);
    expect(isUsedAncestor(key, chain[5]!, currentHash, 5)).toBe(false);
    expect(isUsedAncestor(key, generateSecret(), currentHash, 5)).toBe(false);
  });
});
