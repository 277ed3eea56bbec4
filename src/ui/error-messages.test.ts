import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { checkClaims } from '../core/accounts.js';
import { toEmailKey, toUsernameKey } from '../core/emails.js';
import { AuthError, type InputRule } from '../core/errors.js';
import { checkNewPassword, checkPresentedPassword } from '../core/password-rules.js';
import { HttpError } from '../http/http-error.js';
import { INPUT_MESSAGES, sayError } from './error-messages.js';
import { MESSAGES, say, type MessageKey } from './messages.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');
const english = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => say(MESSAGES, key, values);
const policy = { minLength: 12, normalization: 'none' as const, blocklist: true };
// No page takes a username or sets claims: those rules are said with the generic text, on purpose.
const DELIBERATELY_GENERIC: readonly InputRule[] = [
  'username_empty',
  'username_with_at',
  'username_not_unicode',
  'username_control_character',
  'username_too_long',
  'claims_reserved',
  'claims_too_large',
];

/** The error `act` throws, which must be an AuthError. */
async function refusal(act: () => unknown): Promise<AuthError> {
  try {
    await act();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('what a page says for an error', () => {
  it('has a text of its own for every rule the core can break, or deliberately the generic one, and never the core’s English', async () => {
    h = await createHarness();
    const cli = { door: 'cli', address: 'cli' } as const;
    const [first] = await Promise.all([h.auth.createUser('first@example.com', 'first passphrase', cli), h.auth.createUser('second@example.com', 'second passphrase', cli)]);
    const oldestFirst = await h.auth.listUsers({ order: 'oldest', cursor: null, limit: 1, emailPrefix: null, state: null });
    const auth = h.auth;
    const cases: Record<InputRule, () => unknown> = {
      email_empty: () => toEmailKey('  '),
      email_without_at: () => toEmailKey('someone'),
      email_not_unicode: () => toEmailKey('\uD800@x.io'),
      email_control_character: () => toEmailKey('a\nb@x.io'),
      email_too_long: () => toEmailKey(`${'a'.repeat(316)}@x.io`),
      username_empty: () => toUsernameKey(''),
      username_with_at: () => toUsernameKey('a@b'),
      username_not_unicode: () => toUsernameKey('\uD800'),
      username_control_character: () => toUsernameKey('a\u0000'),
      username_too_long: () => toUsernameKey('a'.repeat(321)),
      password_empty: () => checkNewPassword('', 'password', policy, 'a@x.io'),
      password_not_unicode: () => checkPresentedPassword('\uD800', 'password'),
      password_too_many_bytes: () => checkPresentedPassword('a'.repeat(4097), 'password'),
      password_too_long: () => checkPresentedPassword('é'.repeat(1025), 'password'),
      password_too_short: () => checkNewPassword('short', 'new_password', policy, 'a@x.io'),
      password_too_common: () => checkNewPassword('password1234', 'password', policy, 'a@x.io'),
      password_too_predictable: () => checkNewPassword('sesame-sesame-sesame-', 'password', policy, 'a@x.io'),
      password_own_words: () => checkNewPassword('someone.special', 'password', policy, 'someone.special@x.io'),
      claims_reserved: () => checkClaims({ sub: 'x' }),
      claims_too_large: () => checkClaims({ big: 'x'.repeat(9000) }),
      own_account: () => auth.updateUser({ id: first.id }, { disabled: true }, { door: 'console', address: '127.0.0.1', operatorId: first.id }),
      cursor_unknown: () => auth.listUsers({ order: 'newest', cursor: 'not-a-cursor', limit: 1, emailPrefix: null, state: null }),
      cursor_other_order: () => auth.listUsers({ order: 'newest', cursor: oldestFirst.nextCursor, limit: 1, emailPrefix: null, state: null }),
    };
    // The two lists are one: a rule the core gains needs a case here and a key (or null) in INPUT_MESSAGES to compile.
    expect(Object.keys(cases).sort()).toEqual(Object.keys(INPUT_MESSAGES).sort());

    for (const [rule, act] of Object.entries(cases) as Array<[InputRule, () => unknown]>) {
      const error = await refusal(act);
      expect(error.code, rule).toBe('invalid_input');
      expect(error.input?.rule, rule).toBe(rule);
      // A catalogue that names its keys shows where each text came from: the rule's key, filled in.
      const text = sayError((key, values) => `[${key}] ${english(key, values)}`, error);
      const key = INPUT_MESSAGES[rule];
      if (key === null) expect(DELIBERATELY_GENERIC, rule).toContain(rule);
      expect(text, rule).toBe(`[${key ?? 'error.invalid_input'}] ${english(key ?? 'error.invalid_input', error.input?.limits)}`);
      expect(text, rule).not.toMatch(/\{\w+\}/);
    }
    expect(Object.entries(INPUT_MESSAGES).filter(([, key]) => key === null).map(([rule]) => rule)).toEqual(DELIBERATELY_GENERIC);
  });

  it('repeats the limit a rule names', async () => {
    const short = await refusal(() => checkNewPassword('short', 'new_password', policy, 'a@x.io'));
    expect(short.input).toEqual({ rule: 'password_too_short', field: 'new_password', limits: { min: 12 } });
    expect(short.message).toBe('new_password must have at least 12 characters');
    expect(sayError(english, short)).toBe('The password must have at least 12 characters.');
  });

  it('says the generic text for an invalid_input without a rule', () => {
    expect(sayError(english, new AuthError('invalid_input', 'something the core said'))).toBe(MESSAGES['error.invalid_input']);
  });

  it('raises every invalid_input in the code with its rule', () => {
    const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
    const bare = sources.filter((name) => /AuthError\(\s*'invalid_input'/.test(readFileSync(join(SRC, name), 'utf8')));
    // errors.ts's `invalidInput` alone makes one, and always with its rule.
    expect(bare).toEqual([join('core', 'errors.ts')]);
  });

  it('says one second and many seconds each in its own words', () => {
    expect(sayError(english, new AuthError('rate_limited', 'too many attempts, retry later', 1))).toBe('Too many attempts. Try again in 1 second.');
    expect(sayError(english, new AuthError('rate_limited', 'too many attempts, retry later', 30))).toBe('Too many attempts. Try again in 30 seconds.');
  });

  it('says the text of the code for other errors, and the form text for a code the catalogue does not know', () => {
    expect(sayError(english, new AuthError('invalid_credentials', 'wrong email or password'))).toBe('Wrong email or password.');
    expect(sayError(english, new HttpError('unsupported_charset', 'charset'))).toBe(MESSAGES['error.bad_request']);
  });
});
