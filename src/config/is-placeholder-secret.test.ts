import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPlaceholderSecret } from './is-placeholder-secret.js';

describe('isPlaceholderSecret', () => {
  it.each([
    'replace-with-a-long-random-token',
    'replace-with-64-hex-characters',
    'change-me-change-me-change-me-00',
    'CHANGEME_CHANGEME_CHANGEME_CHANGEME',
    'my-super-secret-introspection-token',
    'example-token-for-the-introspection',
    'placeholder0123456789placeholder',
    '<openssl rand -hex 32 goes here>',
  ])('refuses the placeholder %s', (value) => {
    expect(isPlaceholderSecret(value)).toBe(true);
  });

  it.each([
    ['one character repeated', 'i'.repeat(32)],
    ['one byte repeated, as hex', 'ab'.repeat(32)],
    ['one byte repeated, as base64', Buffer.alloc(24, 1).toString('base64')],
    ['the alphabet in order', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['the hex digits in order', '0123456789abcdef'.repeat(4)],
    ['a keyboard row', 'qwertyuiopqwertyuiopqwertyuiop12'],
    ['a short part repeated', 'Xk9pQ2vR'.repeat(4)],
    ['few distinct characters', 'a1b2a1b2b1a2b2a1a2b1a1b2a2b1b2a1'],
  ])('refuses a value with too little randomness: %s', (_what, value) => {
    expect(isPlaceholderSecret(value)).toBe(true);
  });

  it('accepts what the README says to run, every time: openssl rand -hex 32 / -hex 16 / -base64 32, and base64url', () => {
    const refused = [];
    for (let i = 0; i < 5000; i++) {
      for (const value of [
        randomBytes(32).toString('hex'),
        randomBytes(16).toString('hex'),
        randomBytes(32).toString('base64'),
        randomBytes(24).toString('base64url'),
      ]) {
        if (isPlaceholderSecret(value)) refused.push(value);
      }
    }
    expect(refused).toEqual([]);
  });
});
