import { describe, expect, it } from 'vitest';
import { toEmailKey } from './emails.js';
import { checkNewPassword, checkPresentedPassword } from './password-rules.js';

const policy = { minLength: 1, normalization: 'none' as const };

describe('emails', () => {
  it('keys an email by its trimmed lower-case form', () => {
    expect(toEmailKey('  Bob@Example.COM ')).toBe('bob@example.com');
  });

  it.each([
    ['', 'email is empty'],
    ['   ', 'email is empty'],
    ['a\u0000b@x.io', 'email contains a control character'],
    ['a\nb@x.io', 'email contains a control character'],
    ['a\u0085b@x.io', 'email contains a control character'],
    ['\uD800@x.io', 'email is not valid Unicode'],
    [`${'a'.repeat(316)}@x.io`, 'email is longer than 320 characters'],
  ])('refuses %j', (email, message) => {
    expect(() => toEmailKey(email)).toThrow(expect.objectContaining({ code: 'invalid_input', message }));
  });

  it('counts characters as code points, up to 320', () => {
    expect(() => toEmailKey(`${'a'.repeat(315)}@x.io`)).not.toThrow();
    expect(toEmailKey(`${'😀'.repeat(314)}@x.io`)).toHaveLength(314 * 2 + 5);
  });
});

describe('password rules', () => {
  it('accepts up to 1024 code points, counting an emoji as one', () => {
    expect(() => checkNewPassword('😀'.repeat(1024), 'password', policy)).not.toThrow();
    expect(() => checkNewPassword('a'.repeat(1025), 'password', policy)).toThrow('password is longer than 1024 characters');
  });

  it('bounds the UTF-8 size first, so a huge value is refused before it is walked', () => {
    // 1,024 four-byte characters are exactly 4 KiB: the largest password there can be.
    expect(() => checkPresentedPassword('😀'.repeat(1024), 'password')).not.toThrow();
    expect(() => checkPresentedPassword('a'.repeat(100_000), 'password')).toThrow('password is longer than 4096 bytes');
  });

  it('applies the minimum length to new passwords only', () => {
    const strict = { minLength: 15, normalization: 'none' as const };
    expect(() => checkNewPassword('a'.repeat(14), 'new_password', strict)).toThrow('new_password must have at least 15 characters');
    expect(() => checkNewPassword('😀'.repeat(15), 'new_password', strict)).not.toThrow();
    expect(() => checkPresentedPassword('short', 'password')).not.toThrow();
  });

  it('refuses empty passwords and lone surrogates', () => {
    expect(() => checkPresentedPassword('', 'password')).toThrow('password is empty');
    expect(() => checkNewPassword('ab\uDC00', 'password', policy)).toThrow('password is not valid Unicode');
  });

  it('imposes no composition rule', () => {
    for (const password of ['a', 'aaaaaaaa', '        ', '1234', 'ÄÖÜ']) {
      expect(() => checkNewPassword(password, 'password', policy)).not.toThrow();
    }
  });
});
