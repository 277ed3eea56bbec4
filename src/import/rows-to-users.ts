import { normalizeLoginIdentifier } from '../core/emails.js';
import { AuthError } from '../core/errors.js';
import { identifyPasswordHash, type HashIdentity } from '../core/legacy-hashes.js';
import { generateId } from '../core/secrets.js';
import type { PasswordNormalization, User, UserClaims } from '../core/store.js';
import type { SourceRow } from './source.js';

/** Why a row is not imported: a stable code for the report, and the detail. */
export type RejectReason = 'unreadable_row' | 'missing_login' | 'invalid_login' | 'missing_hash' | 'unusable_hash' | 'invalid_row' | 'email_collision';

export class RowRejected extends Error {
  override readonly name = 'RowRejected';
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A row that passed every check: the user to write and what its hash is. */
export interface AcceptedRow {
  readonly user: User;
  readonly identity: Extract<HashIdentity, { usable: true }>;
}

export interface RowRules {
  /** Appended as `@domain` to a login without an `@` (a username), or null to keep it as it is. */
  readonly usernameDomain: string | null;
  readonly now: Date;
}

// Sesame's ids: 16 random bytes in base64url.
const SESAME_ID = /^[A-Za-z0-9_-]{22}$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
// The width of the password_hash column on every engine.
const MAX_HASH_LENGTH = 255;
// A time without a zone, as SQLite and MySQL print them: the Flask apps wrote UTC (utcnow).
const ZONELESS_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** The user a source row becomes, or `RowRejected` saying why it cannot. */
export function userOf(row: SourceRow, rules: RowRules): AcceptedRow {
  if (row.unreadable !== null) throw new RowRejected('unreadable_row', row.unreadable);
  const email = loginOf(row.login, rules.usernameDomain);
  let emailKey: string;
  try {
    // An email's key is lower-cased; a username's (the course app's) is the username exactly, as the course matched it.
    emailKey = normalizeLoginIdentifier(email).key;
  } catch (error) {
    if (error instanceof AuthError) throw new RowRejected('invalid_login', error.message);
    throw error;
  }
  const hash = hashOf(row.hash);
  const identity = identifyPasswordHash(hash);
  if (!identity.usable) throw new RowRejected('unusable_hash', identity.reason);
  const createdAt = timeOf(row.createdAt, 'created_at') ?? rules.now;
  const exported = row.export;
  if (exported === null) {
    const user: User = {
      id: generateId(),
      email,
      emailKey,
      // None of the apps Sesame replaces normalised passwords: they are verified as typed.
      password: { hash, normalization: 'none' },
      passwordVersion: 0,
      claims: null,
      createdAt,
      updatedAt: createdAt,
      disabledAt: null,
      lastLoginAt: null,
    };
    return { user, identity };
  }
  if (typeof exported.id !== 'string' || !SESAME_ID.test(exported.id)) throw new RowRejected('invalid_row', 'id is not a Sesame id (22 characters of A-Z, a-z, 0-9, - and _)');
  const user: User = {
    id: exported.id,
    email,
    emailKey,
    password: { hash, normalization: normalizationOf(exported.normalization) },
    passwordVersion: 0,
    claims: claimsOf(exported.claims),
    createdAt,
    updatedAt: timeOf(exported.updatedAt, 'updated_at') ?? createdAt,
    disabledAt: timeOf(exported.disabledAt, 'disabled_at'),
    lastLoginAt: null,
  };
  return { user, identity };
}

function loginOf(value: unknown, usernameDomain: string | null): string {
  const login = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (typeof login !== 'string' || login === '') throw new RowRejected('missing_login', 'no email or username');
  return usernameDomain !== null && !login.includes('@') ? `${login}@${usernameDomain}` : login;
}

// A BLOB hash (a Flask app that stored bcrypt's bytes) is the same ASCII as the TEXT one.
function hashOf(value: unknown): string {
  if (value === null || value === undefined || value === '') throw new RowRejected('missing_hash', 'no password hash');
  if (Buffer.isBuffer(value)) {
    const text = value.toString('latin1');
    if (!PRINTABLE_ASCII.test(text)) throw new RowRejected('unusable_hash', 'a binary hash that is not ASCII text');
    return text;
  }
  if (typeof value !== 'string') throw new RowRejected('unusable_hash', `a hash of type ${typeof value}`);
  if (value.length > MAX_HASH_LENGTH) throw new RowRejected('unusable_hash', `longer than ${MAX_HASH_LENGTH} characters`);
  return value;
}

function timeOf(value: unknown, field: string): Date | null {
  if (value === null || value === undefined || value === '') return null;
  let time = Number.NaN;
  if (value instanceof Date) time = value.getTime();
  else if (typeof value === 'number') time = value;
  else if (typeof value === 'string') time = Date.parse(ZONELESS_TIME.test(value) ? `${value.replace(' ', 'T')}Z` : value);
  if (!Number.isFinite(time)) throw new RowRejected('invalid_row', `${field} is not a time`);
  return new Date(time);
}

function normalizationOf(value: unknown): PasswordNormalization {
  if (value === 'none' || value === 'nfkc') return value;
  throw new RowRejected('invalid_row', 'normalization is neither "none" nor "nfkc"');
}

function claimsOf(value: unknown): UserClaims | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return value as UserClaims;
  throw new RowRejected('invalid_row', 'claims is not a JSON object');
}
