import { describe, expect, it } from 'vitest';
import { normalizeLoginIdentifier, toEmailKey, toUsernameKey } from './emails.js';

describe('login identifiers', () => {
  it('keys an email trimmed and lower-cased, and refuses one without @', () => {
    expect(toEmailKey(' Ada@Example.COM ')).toBe('ada@example.com');
    expect(() => toEmailKey('ada')).toThrow('email must contain @');
  });

  it('keys a username exactly as given: Bob and bob are two accounts, " bob" a third', () => {
    expect(toUsernameKey('Bob')).toBe('Bob');
    expect(toUsernameKey('bob')).toBe('bob');
    expect(toUsernameKey(' bob')).toBe(' bob');
  });

  it('refuses a username with @, so that none can equal, take over or shadow an email account', () => {
    expect(() => toUsernameKey('ada@example.com')).toThrow('username must not contain @');
    expect(() => toUsernameKey('')).toThrow('username is empty');
    expect(() => toUsernameKey('a\u0000b')).toThrow('username contains a control character');
    expect(() => toUsernameKey('x'.repeat(321))).toThrow('username is longer than 320 characters');
  });

  it('tells the two kinds apart by @ when an operator names an account', () => {
    expect(normalizeLoginIdentifier('Ada@Example.com')).toEqual({ kind: 'email', key: 'ada@example.com' });
    expect(normalizeLoginIdentifier('Ada')).toEqual({ kind: 'username', key: 'Ada' });
  });
});
