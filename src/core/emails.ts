import { AuthError } from './errors.js';
import { codePointCount } from './text.js';

const MAX_EMAIL_LENGTH = 320;
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Checks an email as submitted and returns its key, `email.trim().toLowerCase()`, which is
 * what makes two spellings of one address the same user. Throws `invalid_input` when the
 * email is empty, longer than 320 code points, not well-formed Unicode, or has a control
 * character.
 */
export function toEmailKey(email: string): string {
  if (!email.isWellFormed()) throw new AuthError('invalid_input', 'email is not valid Unicode');
  const key = email.trim().toLowerCase();
  if (key === '') throw new AuthError('invalid_input', 'email is empty');
  if (codePointCount(email) > MAX_EMAIL_LENGTH) {
    throw new AuthError('invalid_input', `email is longer than ${MAX_EMAIL_LENGTH} characters`);
  }
  if (CONTROL_CHARACTER.test(email)) throw new AuthError('invalid_input', 'email contains a control character');
  return key;
}
