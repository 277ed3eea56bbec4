import { generateId, generateSecret, hashSecret } from '../../src/core/secrets.js';
import type { Session, SessionKind, SessionOrigin, User } from '../../src/core/store.js';

/** Rows for store tests, written straight through the Store port: times are fixed, ids fresh. */
export const T0 = Date.UTC(2026, 0, 1);
export const at = (seconds: number) => new Date(T0 + seconds * 1000);

export function newUser(email = `${generateId()}@x.io`): User {
  return {
    id: generateId(),
    email,
    emailKey: email.toLowerCase(),
    password: { hash: `$argon2id$v=19$m=64,t=1,p=1$${generateId()}`, normalization: 'none' },
    passwordVersion: 0,
    claims: null,
    createdAt: at(0),
    updatedAt: at(0),
    disabledAt: null,
    lastLoginAt: null,
  };
}

/** A session's origin when the test does not look at it. */
export const NO_ORIGIN: SessionOrigin = { clientAddress: null, userAgent: null };

export function newSession(user: User, kind: SessionKind = 'cookie', overrides: Partial<Session> = {}): Session {
  return {
    id: generateId(),
    userId: user.id,
    kind,
    tokenHash: kind === 'cookie' ? hashSecret(generateSecret()) : null,
    refreshHash: kind === 'token' ? hashSecret(generateSecret()) : null,
    refreshGeneration: 0,
    refreshedAt: null,
    createdAt: at(0),
    lastSeenAt: at(0),
    expiresAt: at(3600),
    ...overrides,
  };
}
