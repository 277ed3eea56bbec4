import { commonPasswords } from './common-passwords.js';
import { AuthError } from './errors.js';
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
 */
export function checkPresentedPassword(password: string, field: string): void {
  if (password === '') throw new AuthError('invalid_input', `${field} is empty`);
  if (!password.isWellFormed()) throw new AuthError('invalid_input', `${field} is not valid Unicode`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new AuthError('invalid_input', `${field} is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  if (codePointCount(password) > MAX_PASSWORD_LENGTH) {
    throw new AuthError('invalid_input', `${field} is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/**
 * Checks a password about to be set, as it will be hashed (normalised per the policy). The
 * message names the rule it breaks, as NIST SP 800-63B-4 §3.1.1.2 asks; there are no
 * composition rules (ASVS 6.2.5). With the blocklist, the whole password is compared, case
 * aside, with the common passwords, with repetitive or sequential runs, and with the
 * account's own words (its email and the email's local part: ASVS 6.2.11), the categories
 * NIST SP 800-63B-4 names. The shipped list has few entries of 15 characters or more, so at
 * strict's length the patterns and the length itself do most of the work.
 */
export function checkNewPassword(password: string, field: string, policy: PasswordPolicy, email: string): void {
  checkPresentedPassword(password, field);
  const normalized = policy.normalization === 'nfkc' ? password.normalize('NFKC') : password;
  if (codePointCount(normalized) < policy.minLength) {
    throw new AuthError('invalid_input', `${field} must have at least ${policy.minLength} characters`);
  }
  if (!policy.blocklist) return;
  const folded = normalized.toLowerCase();
  if (commonPasswords().has(folded)) {
    throw new AuthError('invalid_input', `${field} is too common: it is on a list of frequently used passwords`);
  }
  if (isRepetitiveOrSequential(folded)) {
    throw new AuthError('invalid_input', `${field} is too predictable: a repeated or sequential run of characters`);
  }
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (folded === address || (at > 0 && folded === address.slice(0, at))) {
    throw new AuthError('invalid_input', `${field} must not be your email address or its name part`);
  }
}

// Runs a password may follow: the alphabet, the digits, keyboard rows and columns.
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiopasdfghjklzxcvbnm', 'qazwsxedcrfvtgbyhnujmikolp', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p'];

/** Whether a password is one unit repeated (`aaaa…`, `passwordpassword`) or a run along a sequence, either way round. */
function isRepetitiveOrSequential(folded: string): boolean {
  const characters = [...folded];
  for (let unit = 1; unit <= characters.length / 2; unit += 1) {
    if (characters.every((character, index) => character === characters[index % unit])) return true;
  }
  return SEQUENCES.some((sequence) => {
    const cycle = sequence.repeat(Math.ceil(folded.length / sequence.length) + 1);
    return cycle.includes(folded) || [...cycle].reverse().join('').includes(folded);
  });
}
