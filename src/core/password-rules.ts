import { AuthError } from './errors.js';
import type { PasswordNormalization } from './store.js';
import { codePointCount } from './text.js';

export interface PasswordPolicy {
  /** Fewest code points a new password may have. */
  readonly minLength: number;
  /** How new passwords are normalised before hashing. */
  readonly normalization: PasswordNormalization;
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
 * Checks a password about to be set. The message names the rule it breaks, as NIST SP
 * 800-63B §3.1.1.2 asks; there are no composition rules (ASVS 6.2.5).
 */
export function checkNewPassword(password: string, field: string, policy: PasswordPolicy): void {
  checkPresentedPassword(password, field);
  if (codePointCount(password) < policy.minLength) {
    throw new AuthError('invalid_input', `${field} must have at least ${policy.minLength} characters`);
  }
}
