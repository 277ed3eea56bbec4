import { createHash } from 'node:crypto';
import type { Selectable, Updateable } from 'kysely';
import type {
  KeyPurpose,
  OutboxMessage,
  PasswordNormalization,
  ResetToken,
  Session,
  SessionDetails,
  SessionKind,
  SessionOrigin,
  SessionRef,
  StoredKey,
  User,
  UserChanges,
  UserClaims,
} from '../../core/store.js';
import type { KeysTable, OutboxTable, ResetTokensTable, SessionsTable, UsersTable } from './tables.js';

/** Each entity maps to and from its row in one place; column names stay in the store. */
export function fromUser(user: User): UsersTable {
  return {
    id: user.id,
    email: user.email,
    email_key: user.emailKey,
    password_hash: user.password.hash,
    password_normalization: user.password.normalization,
    password_version: user.passwordVersion,
    claims: fromClaims(user.claims),
    created_at: user.createdAt.getTime(),
    updated_at: user.updatedAt.getTime(),
    disabled_at: user.disabledAt?.getTime() ?? null,
    last_login_at: user.lastLoginAt?.getTime() ?? null,
  };
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    emailKey: row.email_key,
    password: { hash: row.password_hash, normalization: toNormalization(row.password_normalization) },
    passwordVersion: Number(row.password_version),
    claims: toClaims(row.claims),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    disabledAt: row.disabled_at === null ? null : toDate(row.disabled_at),
    lastLoginAt: row.last_login_at === null ? null : toDate(row.last_login_at),
  };
}

/** The columns an operator's `changes` set, with `updated_at` at `at`; an absent change sets nothing. */
export function fromUserChanges(changes: UserChanges, at: Date): Updateable<UsersTable> {
  return {
    updated_at: at.getTime(),
    ...(changes.email !== undefined && { email: changes.email.email, email_key: changes.email.emailKey }),
    ...(changes.disabledAt !== undefined && { disabled_at: changes.disabledAt?.getTime() ?? null }),
    ...(changes.claims !== undefined && { claims: fromClaims(changes.claims) }),
  };
}

/**
 * A session's own columns, without its origin: what the session check reads, so that its
 * row stays as narrow as before the origin was recorded. Qualified, to be read in a join.
 */
export const SESSION_COLUMNS = [
  'sessions.id',
  'sessions.user_id',
  'sessions.kind',
  'sessions.token_hash',
  'sessions.refresh_hash',
  'sessions.refresh_generation',
  'sessions.refreshed_at',
  'sessions.created_at',
  'sessions.last_seen_at',
  'sessions.expires_at',
] as const;

/** A session's row as `SESSION_COLUMNS` read it. */
export type SessionRow = Omit<Selectable<SessionsTable>, 'client_address' | 'user_agent'>;

export function fromSession(session: Session, origin: SessionOrigin): SessionsTable {
  return {
    id: session.id,
    user_id: session.userId,
    kind: session.kind,
    token_hash: session.tokenHash,
    refresh_hash: session.refreshHash,
    refresh_generation: session.refreshGeneration,
    refreshed_at: session.refreshedAt?.getTime() ?? null,
    created_at: session.createdAt.getTime(),
    last_seen_at: session.lastSeenAt.getTime(),
    expires_at: session.expiresAt.getTime(),
    client_address: origin.clientAddress,
    user_agent: origin.userAgent,
  };
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    kind: toSessionKind(row.kind),
    tokenHash: row.token_hash,
    refreshHash: row.refresh_hash,
    refreshGeneration: Number(row.refresh_generation),
    refreshedAt: row.refreshed_at === null ? null : toDate(row.refreshed_at),
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function toSessionDetails(row: Selectable<SessionsTable>): SessionDetails {
  return { ...toSession(row), clientAddress: row.client_address, userAgent: row.user_agent };
}

export function toSessionRef(row: Pick<Selectable<SessionsTable>, 'id' | 'kind' | 'token_hash'>): SessionRef {
  return { id: row.id, kind: toSessionKind(row.kind), tokenHash: row.token_hash };
}

export function fromResetToken(token: ResetToken): ResetTokensTable {
  return {
    user_id: token.userId,
    token_hash: token.tokenHash,
    created_at: token.createdAt.getTime(),
    expires_at: token.expiresAt.getTime(),
  };
}

/**
 * The row a reset request for an unknown email writes in place of a token: no user's, with a
 * hash as long as a token's and new each time (from the message's random id), so that the
 * unique index changes as a real token's would.
 */
export function decoyOf(message: OutboxMessage): ResetToken {
  const tokenHash = createHash('sha256').update(message.id).digest('hex');
  return { userId: '', tokenHash, createdAt: message.createdAt, expiresAt: message.createdAt };
}

export function toResetToken(row: Selectable<ResetTokensTable>): ResetToken {
  return {
    userId: row.user_id,
    tokenHash: row.token_hash,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function fromKey(key: StoredKey): KeysTable {
  return {
    kid: key.kid,
    purpose: key.purpose,
    position: key.position,
    algorithm: key.algorithm,
    public_jwk: key.publicJwk,
    private_material: key.privateMaterial,
    created_at: key.createdAt.getTime(),
  };
}

export function toKey(row: Selectable<KeysTable>): StoredKey {
  return {
    kid: row.kid,
    purpose: toKeyPurpose(row.purpose),
    position: Number(row.position),
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateMaterial: row.private_material,
    createdAt: toDate(row.created_at),
  };
}

export function fromClaims(claims: UserClaims | null): string | null {
  return claims === null ? null : JSON.stringify(claims);
}

function toClaims(value: string | null): UserClaims | null {
  if (value === null) return null;
  const claims: unknown = JSON.parse(value);
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new Error('user claims in the database are not a JSON object');
  }
  return claims as UserClaims;
}

function toKeyPurpose(value: string): KeyPurpose {
  if (value === 'signing' || value === 'refresh') return value;
  throw new Error(`unknown key purpose in the database: ${value}`);
}

// Some drivers return 64-bit integers as strings or bigints; every engine stores the same number.
function toDate(value: number | string | bigint): Date {
  return new Date(Number(value));
}

function toNormalization(value: string): PasswordNormalization {
  if (value === 'none' || value === 'nfkc') return value;
  throw new Error(`unknown password normalisation in the database: ${value}`);
}

function toSessionKind(value: string): SessionKind {
  if (value === 'cookie' || value === 'token' || value === 'console') return value;
  throw new Error(`unknown session kind in the database: ${value}`);
}

export function fromMessage(message: OutboxMessage): OutboxTable {
  return {
    id: message.id,
    payload: message.payload,
    created_at: message.createdAt.getTime(),
    attempts: message.attempts,
    next_attempt_at: message.nextAttemptAt.getTime(),
  };
}

export function toMessage(row: Selectable<OutboxTable>): OutboxMessage {
  return {
    id: row.id,
    payload: row.payload,
    createdAt: toDate(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
  };
}
