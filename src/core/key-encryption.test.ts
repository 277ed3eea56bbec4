import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, seal, unseal } from './key-encryption.js';

describe('sealing keys at rest', () => {
  const key = randomBytes(32);
  const secret = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI…\n-----END PRIVATE KEY-----\n';

  it('opens what it sealed, and never shows the plaintext', () => {
    const sealed = seal(secret, key, 'signing:kid-1');
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(secret)).toBe(false);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(unseal(sealed, key, 'signing:kid-1')).toBe(secret);
    expect(seal(secret, key, 'signing:kid-1')).not.toBe(sealed);
  });

  it('refuses another key, another context, or an altered value', () => {
    const sealed = seal(secret, key, 'signing:kid-1');
    expect(() => unseal(sealed, randomBytes(32), 'signing:kid-1')).toThrow();
    expect(() => unseal(sealed, key, 'signing:kid-2')).toThrow();
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    expect(() => unseal(flipped, key, 'signing:kid-1')).toThrow();
    expect(() => unseal('sealed:v1:short', key, 'signing:kid-1')).toThrow();
  });
});
