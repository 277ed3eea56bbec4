import { afterEach, beforeEach, expect, it } from 'vitest';
import { generateId, generateSecret, hashSecret } from '../src/core/secrets.js';
import {
  StoreConflictError,
  StoreUnavailableError,
  type OutboxMessage,
  type ResetToken,
  type Session,
  type SessionKind,
  type SessionRef,
  type User,
} from '../src/core/store.js';
import { openStore, type EngineStore } from '../src/store/open-store.js';
import { ALL_ENGINES, createTestDatabase, describeEngines, type TestDatabase } from './support/databases.js';
import { at, newSession, newUser, NO_ORIGIN } from './support/rows.js';

/**
 * The contract every engine's Store keeps, run against each test engine (support/databases.ts),
 * each test on a database of its own. Races run real concurrent calls against the real engine.
 */

const plain = { origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null };
const message = (seconds = 0): OutboxMessage => ({ id: generateId(), payload: `sealed:${generateId()}`, createdAt: at(seconds), attempts: 0, nextAttemptAt: at(seconds) });
const ref = ({ id, kind, tokenHash }: Session): SessionRef => ({ id, kind, tokenHash });
const sortById = (refs: readonly SessionRef[]) => [...refs].sort((a, b) => a.id.localeCompare(b.id));

describeEngines(ALL_ENGINES, 'store contract on %s', (engine) => {
  let database: TestDatabase;
  let store: EngineStore;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.config);
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function addUser(user = newUser()): Promise<User> {
    await store.insertUser(user);
    return user;
  }

  async function addSession(user: User, kind: SessionKind = 'cookie', overrides: Partial<Session> = {}): Promise<Session> {
    const session = newSession(user, kind, overrides);
    expect(await store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion })).toEqual([]);
    return session;
  }

  /** Which of these sessions still exist (deleting is the one way the port reveals it). */
  async function surviving(sessions: Session[]): Promise<Session[]> {
    const exists = await Promise.all(sessions.map((session) => store.deleteSession(session.id)));
    return sessions.filter((_, index) => exists[index]);
  }

  it('applies each migration once', async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it('round-trips users, sessions and reset tokens exactly', async () => {
    const user = await addUser(newUser('Exact@Example.com'));
    expect(await store.findUserByEmailKey('exact@example.com')).toEqual(user);
    expect(await store.findUserById(user.id)).toEqual(user);
    const session = await addSession(user, 'cookie', { lastSeenAt: at(5), expiresAt: at(7200) });
    expect(await store.findSessionByTokenHash(session.tokenHash!)).toEqual({ ...session, email: 'Exact@Example.com' });
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(1), expiresAt: at(3601) };
    await store.saveResetToken(token);
    expect(await store.findResetTokenByHash(token.tokenHash)).toEqual(token);
  });

  it('returns null for what does not exist', async () => {
    expect(await store.findUserByEmailKey('nobody@x.io')).toBeNull();
    expect(await store.findUserById(generateId())).toBeNull();
    expect(await store.findSessionByTokenHash(hashSecret('x'))).toBeNull();
    expect(await store.findResetTokenByHash(hashSecret('x'))).toBeNull();
    expect(await store.deleteSession(generateId())).toBe(false);
  });

  it('refuses a second user with the same email key, with one winner among concurrent inserts', async () => {
    const first = await addUser(newUser('taken@x.io'));
    await expect(store.insertUser({ ...newUser('taken@x.io') })).rejects.toBeInstanceOf(StoreConflictError);
    await expect(store.insertUser({ ...newUser(), id: first.id })).rejects.toBeInstanceOf(StoreConflictError);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => store.insertUser(newUser('race@x.io'))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('compares keys and hashes byte for byte', async () => {
    await addUser(newUser('case@x.io'));
    expect(await store.findUserByEmailKey('CASE@x.io')).toBeNull();
    expect(await store.findUserByEmailKey('case@x.io ')).toBeNull();
    const user = await addUser();
    const session = await addSession(user);
    expect(await store.findSessionByTokenHash(session.tokenHash!.toUpperCase())).toBeNull();
    expect(await store.findSessionByTokenHash(session.tokenHash!)).not.toBeNull();
  });

  it('upgrades a password hash only while it is unchanged', async () => {
    const user = await addUser();
    const next = { hash: '$argon2id$next', normalization: 'nfkc' as const };
    expect(await store.upgradePassword(user.id, { hash: 'stale', normalization: 'none' }, next, at(1))).toBe(false);
    expect((await store.findUserById(user.id))?.password).toEqual(user.password);
    expect(await store.upgradePassword(user.id, user.password, next, at(1))).toBe(true);
    expect(await store.findUserById(user.id)).toMatchObject({ password: next, passwordVersion: 0, updatedAt: at(1) });
  });

  it('starts no session when the password changed after it was checked', async () => {
    const user = await addUser();
    const session = newSession(user);
    expect(await store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion + 1 })).toBeNull();
    expect(await store.findSessionByTokenHash(session.tokenHash!)).toBeNull();
  });

  it("ends the user's other cookie sessions, and only those, when asked", async () => {
    const user = await addUser();
    const someoneElse = await addUser();
    const oldCookie = await addSession(user);
    const tokenSession = await addSession(user, 'token');
    const othersCookie = await addSession(someoneElse);
    const fresh = newSession(user);
    const ended = await store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: null });
    expect(ended).toEqual([ref(oldCookie)]);
    expect(await surviving([oldCookie, tokenSession, othersCookie, fresh])).toEqual([tokenSession, othersCookie, fresh]);
  });

  it('replaces the session whose token hash the client presented', async () => {
    const user = await addUser();
    const kept = await addSession(user);
    const replaced = await addSession(user);
    const fresh = newSession(user);
    const ended = await store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: false, replacesTokenHash: replaced.tokenHash });
    expect(ended).toEqual([ref(replaced)]);
    expect(await surviving([kept, replaced, fresh])).toEqual([kept, fresh]);
  });

  it('reports the replaced session once, first, when it is also one of the cookie sessions ended', async () => {
    const user = await addUser();
    const replaced = await addSession(user);
    const other = await addSession(user);
    const fresh = newSession(user);
    const ended = await store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: replaced.tokenHash });
    expect(ended).toEqual([ref(replaced), ref(other)]);
    expect(await surviving([replaced, other, fresh])).toEqual([fresh]);
  });

  it("ends the presented session even when it is another user's, and starts the session when it matches none", async () => {
    const user = await addUser();
    const previousUsersSession = await addSession(await addUser());
    const fresh = newSession(user);
    expect(await store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, replacesTokenHash: previousUsersSession.tokenHash })).toEqual([
      ref(previousUsersSession),
    ]);
    const again = newSession(user);
    expect(await store.insertSession(again, { ...plain, passwordVersion: user.passwordVersion, replacesTokenHash: previousUsersSession.tokenHash })).toEqual([]);
    expect(await surviving([previousUsersSession, fresh, again])).toEqual([fresh, again]);
  });

  it('leaves one cookie session after concurrent single-session inserts', async () => {
    const user = await addUser();
    const sessions = Array.from({ length: 20 }, () => newSession(user));
    const ended = await Promise.all(
      sessions.map((session) =>
        store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: null }),
      ),
    );
    const [survivor, ...more] = await surviving(sessions);
    expect(more).toEqual([]);
    // Each of the others is reported ended by exactly one log-in.
    expect(sortById(ended.flatMap((refs) => refs ?? []))).toEqual(sortById(sessions.filter((session) => session !== survivor).map(ref)));
  });

  it("lists a user's sessions, and only that user's", async () => {
    const user = await addUser();
    const cookie = await addSession(user);
    const token = await addSession(user, 'token');
    await addSession(await addUser());
    expect(sortById(await store.listUserSessions(user.id))).toEqual(sortById([ref(cookie), ref(token)]));
  });

  it('moves the last-seen time forward only', async () => {
    const user = await addUser();
    const session = await addSession(user);
    await store.touchSession(session.id, at(120));
    await store.touchSession(session.id, at(60));
    expect((await store.findSessionByTokenHash(session.tokenHash!))?.lastSeenAt).toEqual(at(120));
  });

  it('deletes a session for exactly one of concurrent callers', async () => {
    const session = await addSession(await addUser());
    const results = await Promise.all(Array.from({ length: 20 }, () => store.deleteSession(session.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('changes a password, ending every session but the one kept and the pending reset token', async () => {
    const user = await addUser();
    const kept = await addSession(user);
    const ended = await addSession(user);
    const tokenSession = await addSession(user, 'token');
    const reset: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await store.saveResetToken(reset);
    const password = { hash: '$argon2id$changed', normalization: 'none' as const };
    const changed = await store.changePassword(user.id, 0, password, kept.id, at(9));
    expect(sortById(changed!)).toEqual(sortById([ref(ended), ref(tokenSession)]));
    expect(await store.findUserById(user.id)).toMatchObject({ password, passwordVersion: 1, updatedAt: at(9) });
    expect(await store.findResetTokenByHash(reset.tokenHash)).toBeNull();
    expect(await surviving([kept, ended, tokenSession])).toEqual([kept]);
  });

  it('changes nothing when the password version moved on or the kept session has ended', async () => {
    const user = await addUser();
    const other = await addUser();
    const session = await addSession(user);
    const othersSession = await addSession(other);
    const password = { hash: '$argon2id$never', normalization: 'none' as const };
    expect(await store.changePassword(user.id, 1, password, session.id, at(9))).toBeNull();
    expect(await store.changePassword(user.id, 0, password, othersSession.id, at(9))).toBeNull();
    expect(await store.changePassword(user.id, 0, password, generateId(), at(9))).toBeNull();
    expect(await store.findUserById(user.id)).toEqual(user);
    expect(await surviving([session, othersSession])).toEqual([session, othersSession]);
  });

  it('lets one of concurrent password changes from one version win', async () => {
    const user = await addUser();
    const session = await addSession(user);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.changePassword(user.id, 0, { hash: `$argon2id$${index}`, normalization: 'none' }, session.id, at(9)),
      ),
    );
    const winners = results.flatMap((ended, index) => (ended === null ? [] : [index]));
    expect(winners).toHaveLength(1);
    expect(await store.findUserById(user.id)).toMatchObject({ passwordVersion: 1, password: { hash: `$argon2id$${winners[0]}` } });
  });

  it('keeps one reset token per user, the newest', async () => {
    const user = await addUser();
    const first: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    const second: ResetToken = { ...first, tokenHash: hashSecret(generateSecret()), createdAt: at(5), expiresAt: at(3605) };
    await store.saveResetToken(first);
    await store.saveResetToken(second);
    expect(await store.findResetTokenByHash(first.tokenHash)).toBeNull();
    expect(await store.findResetTokenByHash(second.tokenHash)).toEqual(second);
  });

  it('consumes a reset token for exactly one of concurrent resets', async () => {
    const user = await addUser();
    const session = await addSession(user);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await store.saveResetToken(token);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.resetPassword(user.id, token.tokenHash, { hash: `$argon2id$${index}`, normalization: 'none' }, at(10)),
      ),
    );
    const winners = results.flatMap((ended, index) => (ended === null ? [] : [index]));
    expect(winners).toHaveLength(1);
    expect(results[winners[0]!]).toEqual([{ id: session.id, kind: 'cookie', tokenHash: session.tokenHash }]);
    expect(await store.findUserById(user.id)).toMatchObject({ passwordVersion: 1, password: { hash: `$argon2id$${winners[0]}` } });
    expect(await store.findResetTokenByHash(token.tokenHash)).toBeNull();
    expect(await surviving([session])).toEqual([]);
  });

  it('changes nothing for an expired, foreign or unknown reset token', async () => {
    const user = await addUser();
    const other = await addUser();
    const session = await addSession(user);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await store.saveResetToken(token);
    const password = { hash: '$argon2id$never', normalization: 'none' as const };
    expect(await store.resetPassword(user.id, token.tokenHash, password, at(3600))).toBeNull();
    expect(await store.resetPassword(other.id, token.tokenHash, password, at(10))).toBeNull();
    expect(await store.resetPassword(user.id, hashSecret(generateSecret()), password, at(10))).toBeNull();
    expect((await store.findUserById(user.id))?.password).toEqual(user.password);
    expect(await store.findResetTokenByHash(token.tokenHash)).toEqual(token);
    expect(await surviving([session])).toEqual([session]);
  });

  it('purges in batches every expired row and nothing else', async () => {
    const user = await addUser();
    const expired = Array.from({ length: 1_203 }, (_, index) =>
      newSession(user, index % 3 === 0 ? 'token' : 'cookie', index % 2 === 0 ? { expiresAt: at(100) } : { lastSeenAt: at(-1000) }),
    );
    for (const session of expired) await store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion });
    const live = [await addSession(user), await addSession(user, 'token')];
    const other = await addUser();
    await store.saveResetToken({ userId: user.id, tokenHash: hashSecret('old'), createdAt: at(0), expiresAt: at(100) });
    await store.saveResetToken({ userId: other.id, tokenHash: hashSecret('new'), createdAt: at(0), expiresAt: at(3600) });

    expect(await store.purgeExpired(at(100), at(-500))).toEqual({ sessions: 1_203, resetTokens: 1 });
    expect(await surviving(live)).toEqual(live);
    expect(await store.findResetTokenByHash(hashSecret('new'))).not.toBeNull();
  });

  it('finds a session by id with its owner, round-tripping the refresh state', async () => {
    const user = await addUser(newUser('Owner@x.io'));
    const session = await addSession(user, 'token', { refreshGeneration: 3, refreshedAt: at(7) });
    expect(await store.findSessionById(session.id)).toEqual({ ...session, email: 'Owner@x.io' });
    expect(await store.findSessionById(generateId())).toBeNull();
  });

  it('rotates a refresh token for exactly one of concurrent callers, and never from a wrong parent', async () => {
    const user = await addUser();
    const session = await addSession(user, 'token');
    const childHash = hashSecret(generateSecret());
    expect(await store.rotateRefreshToken(session.id, hashSecret('not the parent'), childHash, at(5))).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.rotateRefreshToken(session.id, session.refreshHash!, childHash, at(9))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.findSessionById(session.id)).toMatchObject({
      refreshHash: childHash,
      refreshGeneration: 1,
      refreshedAt: at(9),
      lastSeenAt: at(9),
    });
  });

  it('confirms a refresh token only while it is the current one of a live row', async () => {
    const user = await addUser();
    const session = await addSession(user, 'token');
    expect(await store.confirmRefreshToken(session.id, hashSecret('other'), at(3))).toBe(false);
    expect(await store.confirmRefreshToken(session.id, session.refreshHash!, at(3))).toBe(true);
    // Writing the same value again still matches (MySQL counts matched rows, not changed ones).
    expect(await store.confirmRefreshToken(session.id, session.refreshHash!, at(3))).toBe(true);
    expect((await store.findSessionById(session.id))?.lastSeenAt).toEqual(at(3));
    await store.deleteSession(session.id);
    expect(await store.confirmRefreshToken(session.id, session.refreshHash!, at(4))).toBe(false);
  });

  it('sets and clears custom claims', async () => {
    const user = await addUser();
    expect(await store.setUserClaims(user.id, { role: 'admin', n: [1, 2] }, at(4))).toBe(true);
    expect(await store.findUserById(user.id)).toMatchObject({ claims: { role: 'admin', n: [1, 2] }, updatedAt: at(4) });
    expect(await store.setUserClaims(user.id, null, at(5))).toBe(true);
    expect((await store.findUserById(user.id))?.claims).toBeNull();
    expect(await store.setUserClaims(generateId(), {}, at(5))).toBe(false);
  });

  it('stores one key per purpose and position, with one winner among concurrent inserts', async () => {
    const key = (kid: string, position: number, purpose: 'signing' | 'refresh' = 'signing') => ({
      kid,
      purpose,
      position,
      algorithm: purpose === 'signing' ? 'EdDSA' : null,
      publicJwk: purpose === 'signing' ? '{"kty":"OKP"}' : null,
      privateMaterial: `material-${kid}`,
      createdAt: at(position),
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => store.insertKey(key(`k${index}`, 1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.insertKey(key('next', 2))).toBe(true);
    expect(await store.insertKey(key('refresh', 1, 'refresh'))).toBe(true);
    const winner = `k${results.indexOf(true)}`;
    const stored = await store.listKeys();
    expect(stored.sort((a, b) => a.kid.localeCompare(b.kid))).toEqual(
      [key(winner, 1), key('next', 2), key('refresh', 1, 'refresh')].sort((a, b) => a.kid.localeCompare(b.kid)),
    );
  });

  it('hands out due outbox messages oldest first, each to one of concurrent claimers, until delivered', async () => {
    const messages = [message(2), message(1), message(3), message(4), message(100)];
    // A reset request for an unknown email adds its message and nothing else the port shows.
    for (const each of messages) await store.saveResetRequest(null, each);
    expect(await store.claimMessages(at(10), at(70), 2)).toEqual([messages[1], messages[0]]);
    const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimMessages(at(10), at(70), 10)));
    expect(claims.flat().map((each) => each.id).sort()).toEqual([messages[2]!.id, messages[3]!.id].sort());
    // Leased: nobody gets them again before the lease ends.
    expect(await store.claimMessages(at(69), at(130), 10)).toEqual([]);
    await store.deleteMessage(messages[0]!.id);
    await store.rescheduleMessage(messages[1]!.id, 1, at(200));
    expect((await store.claimMessages(at(70), at(130), 10)).map((each) => each.id).sort()).toEqual([messages[2]!.id, messages[3]!.id].sort());
    // Leases that ran out (never acknowledged) are claimed again: delivery is at least once.
    expect((await store.claimMessages(at(199), at(260), 10)).map((each) => each.id).sort()).toEqual(
      [messages[2]!.id, messages[3]!.id, messages[4]!.id].sort(),
    );
    expect(await store.claimMessages(at(200), at(260), 10)).toEqual([{ ...messages[1]!, attempts: 1, nextAttemptAt: at(200) }]);
  });

  it('writes an outbox message with the reset token, password change or reset that it tells of, and only then', async () => {
    const user = newUser();
    await store.insertUser(user);
    const session = newSession(user);
    await store.insertSession(session, { ...plain, passwordVersion: 0 });
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    const requested = message();
    await store.saveResetRequest(token, requested);
    const unknown = message();
    await store.saveResetRequest(null, unknown);
    const password = { hash: '$argon2id$new', normalization: 'none' as const };
    const refusedChange = message();
    expect(await store.changePassword(user.id, 7, password, session.id, at(1), refusedChange)).toBeNull();
    const refusedReset = message();
    expect(await store.resetPassword(user.id, hashSecret('wrong'), password, at(1), refusedReset)).toBeNull();
    const reset = message();
    expect(await store.resetPassword(user.id, token.tokenHash, password, at(1), reset)).not.toBeNull();
    const changed = message();
    const again = newSession(user);
    await store.insertSession(again, { ...plain, passwordVersion: 1 });
    expect(await store.changePassword(user.id, 1, password, again.id, at(2), changed)).not.toBeNull();
    const ids = (await store.claimMessages(at(10), at(70), 10)).map((each) => each.id).sort();
    expect(ids).toEqual([requested.id, unknown.id, reset.id, changed.id].sort());
  });

  it('writes the same kind of row for unknown emails, request after request, and no reset token', async () => {
    const user = await addUser();
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(1) };
    await store.saveResetRequest(token, message());
    // The second and third overwrite the first's row, as a known email's second request does.
    for (let index = 0; index < 3; index += 1) await store.saveResetRequest(null, message(index));
    expect(await store.findResetTokenByHash(token.tokenHash)).toEqual(token);
    expect(await store.purgeExpired(at(10), at(0))).toEqual({ sessions: 0, resetTokens: 1 });
  });

  it('keeps neither the reset token nor its message when the transaction fails', async () => {
    const user = newUser();
    await store.insertUser(user);
    const taken = message();
    await store.saveResetRequest(null, taken);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    // A message id already taken makes the insert fail after the token's.
    await expect(store.saveResetRequest(token, { ...message(), id: taken.id })).rejects.toBeInstanceOf(StoreConflictError);
    expect(await store.findResetTokenByHash(token.tokenHash)).toBeNull();
  });

  it('answers a ping, and reports itself unavailable once closed', async () => {
    await store.ping();
    const closing = await openStore(database.config);
    await closing.ping();
    await closing.close();
    await expect(closing.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
