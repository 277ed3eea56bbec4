import { describe, expect, it } from 'vitest';
import { toEmailKey } from './emails.js';
import { commonPasswords, MAX_COMMON_PASSWORDS } from './common-passwords.js';
import { checkNewPassword, checkPresentedPassword } from './password-rules.js';

const policy = { minLength: 1, normalization: 'none' as const, blocklist: false };

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
    expect(() => checkNewPassword('😀'.repeat(1024), 'password', policy, 'a@x.io')).not.toThrow();
    expect(() => checkNewPassword('a'.repeat(1025), 'password', policy, 'a@x.io')).toThrow('password is longer than 1024 characters');
  });

  it('bounds the UTF-8 size first, so a huge value is refused before it is walked', () => {
    // 1,024 four-byte characters are exactly 4 KiB: the largest password there can be.
    expect(() => checkPresentedPassword('😀'.repeat(1024), 'password')).not.toThrow();
    expect(() => checkPresentedPassword('a'.repeat(100_000), 'password')).toThrow('password is longer than 4096 bytes');
  });

  it('applies the minimum length to new passwords only', () => {
    const strict = { minLength: 15, normalization: 'none' as const, blocklist: false };
    expect(() => checkNewPassword('a'.repeat(14), 'new_password', strict, 'a@x.io')).toThrow('new_password must have at least 15 characters');
    expect(() => checkNewPassword('😀'.repeat(15), 'new_password', strict, 'a@x.io')).not.toThrow();
    expect(() => checkPresentedPassword('short', 'password')).not.toThrow();
  });

  it('names the rule broken, the field and the limit as data beside the message, for a page to say in its own words', () => {
    const strict = { minLength: 15, normalization: 'none' as const, blocklist: true };
    expect(() => checkNewPassword('a'.repeat(14), 'new_password', strict, 'a@x.io')).toThrow(
      expect.objectContaining({ message: 'new_password must have at least 15 characters', input: { rule: 'password_too_short', field: 'new_password', limits: { min: 15 } } }),
    );
    expect(() => checkPresentedPassword('a'.repeat(5000), 'password')).toThrow(
      expect.objectContaining({ message: 'password is longer than 4096 bytes', input: { rule: 'password_too_many_bytes', field: 'password', limits: { max: 4096 } } }),
    );
    expect(() => toEmailKey('someone')).toThrow(expect.objectContaining({ message: 'email must contain @', input: { rule: 'email_without_at', field: 'email', limits: {} } }));
  });

  it('refuses empty new passwords and lone surrogates; an empty presented one is verified (an imported hash may match it)', () => {
    expect(() => checkNewPassword('', 'new_password', policy, 'a@x.io')).toThrow('new_password is empty');
    expect(() => checkPresentedPassword('', 'password')).not.toThrow();
    expect(() => checkNewPassword('ab\uDC00', 'password', policy, 'a@x.io')).toThrow('password is not valid Unicode');
  });

  it('imposes no composition rule', () => {
    for (const password of ['a', 'aaaaaaaa', '        ', '1234', 'ÄÖÜ']) {
      expect(() => checkNewPassword(password, 'password', policy, 'a@x.io')).not.toThrow();
    }
  });

  it('counts the characters of the normalised password under NFKC: 14 vs 15 code points', () => {
    const nfkc = { minLength: 15, normalization: 'nfkc' as const, blocklist: false };
    // U+FB01 (ﬁ) is one code point that NFKC makes two.
    expect(() => checkNewPassword(`${'a'.repeat(13)}\uFB01`, 'new_password', nfkc, 'a@x.io')).not.toThrow();
    expect(() => checkNewPassword('a'.repeat(14), 'new_password', nfkc, 'a@x.io')).toThrow('new_password must have at least 15 characters');
    expect(() => checkNewPassword('a'.repeat(15), 'new_password', nfkc, 'a@x.io')).not.toThrow();
  });

  it('refuses, with the blocklist, a common password and the account\'s own words, saying why', () => {
    const strict = { minLength: 15, normalization: 'nfkc' as const, blocklist: true };
    expect(() => checkNewPassword('123456789987654321', 'new_password', strict, 'a@x.io')).toThrow(
      'new_password is too common: it is on a list of frequently used passwords',
    );
    expect(() => checkNewPassword('QAZWSXEDCRFVTGB', 'new_password', strict, 'a@x.io')).toThrow('too common');
    expect(() => checkNewPassword('guillaume.long@x.io', 'password', strict, 'Guillaume.Long@X.io')).toThrow(
      'password must not be your email address or its name part',
    );
    expect(() => checkNewPassword('guillaume.long.dupont', 'password', strict, 'guillaume.long.dupont@x.io')).toThrow('name part');
    expect(() => checkNewPassword('correct horse battery staple', 'password', strict, 'a@x.io')).not.toThrow();
    for (const predictable of ['ccccccccccccccccc', 'sesamesesamesesame', 'abcabcabcabcabcabc', '2345678901234567', 'ABCDEFGHIJKLMNOPQ', 'qwertyuiopasdfghj', 'zyxwvutsrqponmlkj']) {
      expect(() => checkNewPassword(predictable, 'password', strict, 'a@x.io')).toThrow(
        'password is too predictable: a repeated or sequential run of characters',
      );
    }
    expect(() => checkNewPassword('abcdefghijklmnoz', 'password', strict, 'a@x.io')).not.toThrow();
    expect(() => checkNewPassword('123456', 'password', { ...strict, minLength: 1 }, 'a@x.io')).toThrow('too common');
  });

  it.each([
    '1q2w3e4r5t6y7u8i9o0p',
    '1Q2W3E4R5T6Y7U8I9O0P',
    'qazxswedcvfrtgbnhyujm',
    'zaq12wsxcde34rfvbgt5',
    '!QAZ@WSX#EDC$RFV%TGB',
    'z1x2c3v4b5n6m7,8.9',
    '1234567890asdfghjkl',
    'qwerty123asdfgh456zxc',
    '2324252627282920',
    'a0b0c0d0e0f0g0h0',
    'aabbccddeeffgghhii',
    '1223334444555556666667',
    '7894561230258963',
    'poiuytrewqlkjhgfdsa',
    '9876543210)(*&^%$#@!',
  ])('refuses, with the blocklist, the keyboard walk or sequence %s at any length', (password) => {
    const strict = { minLength: 15, normalization: 'nfkc' as const, blocklist: true };
    expect(() => checkNewPassword(password, 'password', strict, 'a@x.io')).toThrow('password is too predictable');
  });

  it.each(['correct horse battery staple', 'tulip.granite.oxygen.velvet', 'Kx7#mQ2vL9$wR4pZ', 'sesame opens wide 2026', 'rewardedsassafras', 'polkadot-lighthouse'])(
    'accepts, with the blocklist, %s',
    (password) => {
      const strict = { minLength: 15, normalization: 'nfkc' as const, blocklist: true };
      expect(() => checkNewPassword(password, 'password', strict, 'a@x.io')).not.toThrow();
    },
  );

  it('refuses, with the blocklist, every entry of the shipped list at least as long as the minimum', () => {
    for (const minLength of [15, 8]) {
      const policy = { minLength, normalization: 'none' as const, blocklist: true };
      const listed = commonPasswords(minLength);
      expect(listed.size).toBe(minLength === 15 ? 9_728 : MAX_COMMON_PASSWORDS);
      for (const password of listed) expect([...password].length).toBeGreaterThanOrEqual(minLength);
      expect(listed.has('manchesterunited')).toBe(minLength <= 16);
      expect(() => checkNewPassword('ManchesterUnited', 'password', policy, 'a@x.io')).toThrow('too common');
    }
  });
});
