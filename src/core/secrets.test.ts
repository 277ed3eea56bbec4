import { describe, expect, it } from 'vitest';
import { generateId, generateSecret, isSecretShaped } from './secrets.js';

describe('random ids and secrets', () => {
  it('makes ids of 128 bits in base64url, never the same twice, across refills of their pool', () => {
    const ids = Array.from({ length: 1000 }, () => generateId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes secrets of 256 bits that have the shape of a secret, never the same twice', () => {
    const secrets = Array.from({ length: 100 }, () => generateSecret());
    for (const secret of secrets) expect(isSecretShaped(secret)).toBe(true);
    expect(new Set(secrets).size).toBe(secrets.length);
  });
});
