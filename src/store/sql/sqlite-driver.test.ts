import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDatabasePath } from '../../../test/support/test-config.js';
import { generateId, generateSecret, hashSecret } from '../../core/secrets.js';
import { StoreConflictError, type Session, type User } from '../../core/store.js';
import { openStore, type EngineStore } from '../open-store.js';

const T0 = Date.UTC(2026, 0, 1);
const plain = { passwordVersion: 0, endOtherCookieSessions: false, replacesTokenHash: null };

function newUser(email = `${generateId()}@x.io`): User {
  const password = { hash: `$argon2id$v=19$m=64,t=1,p=1$${generateId()}`, normalization: 'none' as const };
  return { id: generateId(), email, emailKey: email, password, passwordVersion: 0, claims: null, createdAt: new Date(T0), updatedAt: new Date(T0) };
}

function newSession(user: User): Session {
  return {
    id: generateId(),
    userId: user.id,
    kind: 'cookie',
    tokenHash: hashSecret(generateSecret()),
    refreshHash: null,
    refreshGeneration: 0,
    refreshedAt: null,
    createdAt: new Date(T0),
    lastSeenAt: new Date(T0),
    expiresAt: new Date(T0 + 3_600_000),
  };
}

let store: EngineStore;
// Another connection, as another process would have: it sees only what is committed.
let outside: Database.Database;
beforeEach(async () => {
  const path = tempDatabasePath();
  store = await openStore({ engine: 'sqlite', path });
  await store.migrate();
  outside = new Database(path, { readonly: true });
});
afterEach(async () => {
  outside.close();
  await store.close();
});

const lastSeen = (sessionId: string) =>
  outside.prepare<[string], { last_seen_at: number }>('select last_seen_at from sessions where id = ?').get(sessionId)?.last_seen_at;

describe('group commit on SQLite', () => {
  it('commits concurrent writes together, and answers each only once another connection sees it', async () => {
    const user = newUser();
    await store.insertUser(user);
    const sessions = Array.from({ length: 5 }, () => newSession(user));
    for (const session of sessions) await store.insertSession(session, plain);
    const seenWhenAnswered = sessions.map(async (session, index) => {
      await store.touchSession(session.id, new Date(T0 + (index + 1) * 60_000));
      return lastSeen(session.id);
    });
    // Written, and read back in this process, but not committed yet: the batch is still open.
    expect((await store.findSessionById(sessions[0]!.id))?.lastSeenAt).toEqual(new Date(T0 + 60_000));
    expect(sessions.map((session) => lastSeen(session.id))).toEqual(sessions.map(() => T0));
    expect(await Promise.all(seenWhenAnswered)).toEqual(sessions.map((_, index) => T0 + (index + 1) * 60_000));
  });

  it('fails only the write that breaks a constraint; the others of its batch commit', async () => {
    const user = newUser('taken@x.io');
    await store.insertUser(user);
    const session = newSession(user);
    await store.insertSession(session, plain);
    const [duplicate, touch, other] = await Promise.allSettled([
      store.insertUser(newUser('taken@x.io')),
      store.touchSession(session.id, new Date(T0 + 60_000)),
      store.insertUser(newUser('free@x.io')),
    ]);
    expect(duplicate.status === 'rejected' && duplicate.reason instanceof StoreConflictError).toBe(true);
    expect(touch).toEqual({ status: 'fulfilled', value: true });
    expect(other.status).toBe('fulfilled');
    expect(lastSeen(session.id)).toBe(T0 + 60_000);
    expect(outside.prepare('select count(*) as n from users').get()).toEqual({ n: 2 });
  });
});
