import { commonPasswords } from './common-passwords.js';
import { invalidInput } from './errors.js';
import type { PasswordNormalization } from './store.js';
import { codePointCount } from './text.js';

export interface PasswordPolicy {
  /** Fewest code points a new password may have. */
  readonly minLength: number;
  /** How new passwords are normalised before hashing. */
  readonly normalization: PasswordNormalization;
  /** Whether new passwords are checked against the list of common passwords and the account's own words. */
  readonly blocklist: boolean;
}

/** Most code points a password may have (ASVS 6.2.9 asks for at least 64). */
const MAX_PASSWORD_LENGTH = 1024;
/** Most UTF-8 bytes: bounds the work one password can cost the hasher. */
const MAX_PASSWORD_BYTES = 4096;

/**
 * Checks a password presented for verification (log-in, current password). Only bounds and
 * well-formedness: the value is then verified exactly as sent, never truncated (ASVS 6.2.8).
 * An empty one is verified too, as a wrong one: the apps users are imported from accepted it
 * (issue 21), and no hash Sesame makes can match it, since a new password is never empty.
 */
export function checkPresentedPassword(password: string, field: string): void {
  if (!password.isWellFormed()) throw invalidInput(`${field} is not valid Unicode`, 'password_not_unicode', field);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw invalidInput(`${field} is longer than ${MAX_PASSWORD_BYTES} bytes`, 'password_too_many_bytes', field, { max: MAX_PASSWORD_BYTES });
  }
  if (codePointCount(password) > MAX_PASSWORD_LENGTH) {
    throw invalidInput(`${field} is longer than ${MAX_PASSWORD_LENGTH} characters`, 'password_too_long', field, { max: MAX_PASSWORD_LENGTH });
  }
}

/**
 * Checks a password about to be set, as it will be hashed (normalised per the policy). The
 * message names the rule it breaks, as NIST SP 800-63B-4 §3.1.1.2 asks; there are no
 * composition rules (ASVS 6.2.5). With the blocklist, the whole password is compared, case
 * aside, with the common passwords, with repetitive or sequential runs, and with the
 * account's own words (its email and the email's local part: ASVS 6.2.11), the categories
 * NIST SP 800-63B-4 names. Keyboard walks are as common long as short (`1q2w3e4r5t6y7u8i9o0p`),
 * so the patterns have no length limit.
 */
export function checkNewPassword(password: string, field: string, policy: PasswordPolicy, email: string): void {
  if (password === '') throw invalidInput(`${field} is empty`, 'password_empty', field);
  checkPresentedPassword(password, field);
  const normalized = policy.normalization === 'nfkc' ? password.normalize('NFKC') : password;
  if (codePointCount(normalized) < policy.minLength) {
    throw invalidInput(`${field} must have at least ${policy.minLength} characters`, 'password_too_short', field, { min: policy.minLength });
  }
  if (!policy.blocklist) return;
  const folded = normalized.toLowerCase();
  if (commonPasswords(policy.minLength).has(folded)) {
    throw invalidInput(`${field} is too common: it is on a list of frequently used passwords`, 'password_too_common', field);
  }
  if (isPredictable(folded)) {
    throw invalidInput(`${field} is too predictable: a repeated or sequential run of characters`, 'password_too_predictable', field);
  }
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (folded === address || (at > 0 && folded === address.slice(0, at))) {
    throw invalidInput(`${field} must not be your email address or its name part`, 'password_own_words', field);
  }
}

/**
 * Whether a password is predictable at any length: one unit repeated (`aaaa…`,
 * `passwordpassword`); one walk, or walks of at least `MIN_WALK` characters end to end
 * (`qwertyuiop`, `qazxswedcvfr`, `1234567890qwerty`, `122333444455555`); or two to four
 * walks interleaved (`1q2w3e4r…`, `a1s2d3f4…`, `1213141516…`); or part of a `SEQUENCES`
 * cycle. A walk steps to the same
 * character, the next or previous one (`abc`, `987`), or a neighbouring key (`keyNeighbours`).
 * Measured: none of 100,000 random 15-character passwords, nor of 100,000 phrases of three
 * diceware words, is predictable by these rules.
 */
function isPredictable(folded: string): boolean {
  const characters = [...folded];
  if (shortestPeriod(characters) <= characters.length / 2) return true;
  if (SEQUENCES.some((sequence) => sequence.includes(folded))) return true;
  const walks = walkLengths(characters);
  if (walks.length === 1 || walks.every((length) => length >= MIN_WALK)) return true;
  for (let stride = 2; stride <= MAX_INTERLEAVED && characters.length >= MIN_WALK * stride; stride += 1) {
    const strands = Array.from({ length: stride }, (_, offset) => characters.filter((_character, index) => index % stride === offset));
    if (strands.every((strand) => walkLengths(strand).length === 1)) return true;
  }
  return false;
}

/**
 * The length of the shortest unit the characters repeat, the last time perhaps cut short
 * (`abcab`: 3): from Knuth–Morris–Pratt's failure function, in linear time, since a password
 * may have 1,024 characters.
 */
function shortestPeriod(characters: readonly string[]): number {
  const border = new Array<number>(characters.length).fill(0);
  for (let index = 1, length = 0; index < characters.length; index += 1) {
    while (length > 0 && characters[index] !== characters[length]) length = border[length - 1]!;
    if (characters[index] === characters[length]) length += 1;
    border[index] = length;
  }
  return characters.length - (border.at(-1) ?? 0);
}

const MIN_WALK = 3;
const MAX_INTERLEAVED = 4;

/**
 * Orders people type keys in that are not walks: a row running on into the next
 * (`…opasdf…`), the keyboard's columns one after another (`qazwsxedc…`, `1qaz2wsx…`); each
 * repeated long enough for any password, and reversed.
 */
const SEQUENCES = ['qwertyuiopasdfghjklzxcvbnm', 'qazwsxedcrfvtgbyhnujmikolp', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p'].flatMap((sequence) => {
  const cycle = sequence.repeat(Math.ceil(1024 / sequence.length) + 1);
  return [cycle, [...cycle].reverse().join('')];
});

/** The lengths of the walks a sequence of characters falls into, in order. */
function walkLengths(characters: readonly string[]): number[] {
  const lengths: number[] = [];
  let length = 1;
  for (let index = 1; index < characters.length; index += 1) {
    const previous = characters[index - 1]!;
    const next = characters[index]!;
    if (previous === next || Math.abs(previous.codePointAt(0)! - next.codePointAt(0)!) === 1 || keyNeighbours().has(previous + next)) {
      length += 1;
    } else {
      lengths.push(length);
      length = 1;
    }
  }
  lengths.push(length);
  return lengths;
}

// A US keyboard, lower-cased as passwords are before the check: each row unshifted and
// shifted, and its first key's offset from the left, in key widths. Then the numeric keypad,
// where 0 is two keys wide.
const KEYBOARD_ROWS: ReadonlyArray<readonly [string, string, number]> = [
  ['`1234567890-=', '~!@#$%^&*()_+', 0],
  ['qwertyuiop[]\\', 'qwertyuiop{}|', 1.5],
  ["asdfghjkl;'", 'asdfghjkl:"', 1.75],
  ['zxcvbnm,./', 'zxcvbnm<>?', 2.25],
];
const KEYPAD_ROWS: ReadonlyArray<readonly [string, number]> = [
  ['789', 0],
  ['456', 0],
  ['123', 0],
  ['00', 0],
];

/** A key's character and place, and how far off, in key widths, a key on the next row may sit and still touch it. */
interface Key {
  readonly character: string;
  readonly x: number;
  readonly y: number;
  readonly reach: number;
}

let neighbours: ReadonlySet<string> | null = null;

/**
 * Every ordered pair of characters on neighbouring keys, as one string (`qw`, `wq`, `q1`, `!q`):
 * beside each other on a row, or touching on the next row (the keyboard's rows are staggered;
 * the keypad's are not, so its diagonals touch).
 */
function keyNeighbours(): ReadonlySet<string> {
  if (neighbours !== null) return neighbours;
  const keys: Key[] = [];
  KEYBOARD_ROWS.forEach(([plain, shifted, offset], y) => {
    for (const row of [plain, shifted]) [...row].forEach((character, x) => keys.push({ character, x: offset + x, y, reach: 0.75 }));
  });
  KEYPAD_ROWS.forEach(([row, offset], y) => [...row].forEach((character, x) => keys.push({ character, x: offset + x, y: 10 + y, reach: 1 })));
  const pairs = new Set<string>();
  for (const a of keys) {
    for (const b of keys) {
      const dx = Math.abs(a.x - b.x);
      const dy = Math.abs(a.y - b.y);
      if ((dy === 0 && dx === 1) || (dy === 1 && dx <= a.reach)) pairs.add(a.character + b.character);
    }
  }
  neighbours = pairs;
  return pairs;
}
