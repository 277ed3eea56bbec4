import { invalidInput } from './errors.js';
import { codePointCount } from './text.js';

const MAX_IDENTIFIER_LENGTH = 320;
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * How an account signs in. `email`: an address, matched case-insensitively (the session API,
 * the token API, python-jwt-auth). `username`: the Flask-JWT-Extended course's identifier,
 * matched exactly as the course did. A username never contains `@` and an email always does,
 * so the two kinds share the users table's one unique key without one ever equalling, taking
 * over or shadowing the other (docs/api-families.md, "Usernames").
 */
export type IdentifierKind = 'email' | 'username';

/** An identifier as stored: the value as given and the key it is looked up by. */
export interface LoginIdentifier {
  readonly kind: IdentifierKind;
  readonly key: string;
}

/**
 * Checks an email as submitted and returns its key, `email.trim().toLowerCase()`, which is
 * what makes two spellings of one address the same user. Throws `invalid_input` when the
 * email is empty, has no `@`, is longer than 320 code points, is not well-formed Unicode, or
 * has a control character.
 */
export function toEmailKey(email: string): string {
  checkIdentifier(email, 'email');
  const key = email.trim().toLowerCase();
  if (key === '') throw invalidInput('email is empty', 'email_empty', 'email');
  // The `@` is what keeps an email apart from every username.
  if (!key.includes('@')) throw invalidInput('email must contain @', 'email_without_at', 'email');
  return key;
}

/**
 * Checks a username as submitted and returns its key: the username exactly, neither trimmed
 * nor lower-cased, so `Bob` and `bob` are two accounts as they were in the course. Throws
 * `invalid_input` when it is empty, contains `@`, is longer than 320 code points, is not
 * well-formed Unicode, or has a control character.
 */
export function toUsernameKey(username: string): string {
  checkIdentifier(username, 'username');
  if (username === '') throw invalidInput('username is empty', 'username_empty', 'username');
  if (username.includes('@')) throw invalidInput('username must not contain @', 'username_with_at', 'username');
  return username;
}

/** The key of an identifier of the given kind (`toEmailKey` or `toUsernameKey`). */
export function toIdentifierKey(identifier: string, kind: IdentifierKind): string {
  return kind === 'email' ? toEmailKey(identifier) : toUsernameKey(identifier);
}

/**
 * An identifier of either kind, told apart by `@`: how an operator names an account (the
 * admin API, the CLI, an import). Throws `invalid_input` as the kind's own check does.
 */
export function normalizeLoginIdentifier(identifier: string): LoginIdentifier {
  const kind: IdentifierKind = identifier.includes('@') ? 'email' : 'username';
  return { kind, key: toIdentifierKey(identifier, kind) };
}

function checkIdentifier(identifier: string, name: IdentifierKind): void {
  if (!identifier.isWellFormed()) throw invalidInput(`${name} is not valid Unicode`, `${name}_not_unicode`, name);
  if (codePointCount(identifier) > MAX_IDENTIFIER_LENGTH) {
    throw invalidInput(`${name} is longer than ${MAX_IDENTIFIER_LENGTH} characters`, `${name}_too_long`, name, { max: MAX_IDENTIFIER_LENGTH });
  }
  if (CONTROL_CHARACTER.test(identifier)) throw invalidInput(`${name} contains a control character`, `${name}_control_character`, name);
}
