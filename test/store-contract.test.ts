import { expect, it } from 'vitest';
import { generateId, generateSecret, hashSecret } from '../src/core/secrets.js';
import {
  MAX_USER_AGENT_LENGTH,
  StoreConflictError,
  StoreUnavailableError,
  type OutboxMessage,
  type ResetToken,
  type Session,
  type SessionKind,
  type SessionOrigin,
  type SessionRef,
  type User,
  type UserListQuery,
  type UserPosition,
} from '../src/core/store.js';
import { openStore } from '../src/store/open-store.js';
import { ALL_ENGINES, describeEngines, storePerTest } from './support/databases.js';
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
  const current = storePerTest(engine);

  async function addUser(user = newUser()): Promise<User> {
    await current.store.insertUser(user);
    return user;
  }

  async function addSession(user: User, kind: SessionKind = 'cookie', overrides: Partial<Session> = {}): Promise<Session> {
    const session = newSession(user, kind, overrides);
    expect(await current.store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion })).toEqual([]);
    return session;
  }

  /** Which of these sessions still exist (deleting is the one way the port reveals it). */
  async function surviving(sessions: Session[]): Promise<Session[]> {
    const exists = await Promise.all(sessions.map((session) => current.store.deleteSession(session.id)));
    return sessions.filter((_, index) => exists[index]);
  }

  it('applies each migration once', async () => {
    expect(await current.store.migrate()).toEqual([]);
  });

  it('round-trips users, sessions and reset tokens exactly', async () => {
    const user = await addUser(newUser('Exact@Example.com'));
    expect(await current.store.findUserByEmailKey('exact@example.com')).toEqual(user);
    expect(await current.store.findUserById(user.id)).toEqual(user);
    const session = await addSession(user, 'cookie', { lastSeenAt: at(5), expiresAt: at(7200) });
    expect(await current.store.findSessionByTokenHash(session.tokenHash!)).toEqual({ ...session, email: 'Exact@Example.com' });
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(1), expiresAt: at(3601) };
    await current.store.saveResetToken(token);
    expect(await current.store.findResetTokenByHash(token.tokenHash)).toEqual(token);
  });

  it('returns null for what does not exist', async () => {
    expect(await current.store.findUserByEmailKey('nobody@x.io')).toBeNull();
    expect(await current.store.findUserById(generateId())).toBeNull();
    expect(await current.store.findSessionByTokenHash(hashSecret('x'))).toBeNull();
    expect(await current.store.findResetTokenByHash(hashSecret('x'))).toBeNull();
    expect(await current.store.deleteSession(generateId())).toBe(false);
  });

  it('refuses a second user with the same email key, with one winner among concurrent inserts', async () => {
    const first = await addUser(newUser('taken@x.io'));
    await expect(current.store.insertUser({ ...newUser('taken@x.io') })).rejects.toBeInstanceOf(StoreConflictError);
    await expect(current.store.insertUser({ ...newUser(), id: first.id })).rejects.toBeInstanceOf(StoreConflictError);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => current.store.insertUser(newUser('race@x.io'))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('compares keys and hashes byte for byte', async () => {
    await addUser(newUser('case@x.io'));
    expect(await current.store.findUserByEmailKey('CASE@x.io')).toBeNull();
    expect(await current.store.findUserByEmailKey('case@x.io ')).toBeNull();
    const user = await addUser();
    const session = await addSession(user);
    expect(await current.store.findSessionByTokenHash(session.tokenHash!.toUpperCase())).toBeNull();
    expect(await current.store.findSessionByTokenHash(session.tokenHash!)).not.toBeNull();
  });

  it('upgrades a password hash only while it is unchanged', async () => {
    const user = await addUser();
    const next = { hash: '$argon2id$next', normalization: 'nfkc' as const };
    expect(await current.store.upgradePassword(user.id, { hash: 'stale', normalization: 'none' }, next, at(1))).toBe(false);
    expect((await current.store.findUserById(user.id))?.password).toEqual(user.password);
    expect(await current.store.upgradePassword(user.id, user.password, next, at(1))).toBe(true);
    expect(await current.store.findUserById(user.id)).toMatchObject({ password: next, passwordVersion: 0, updatedAt: at(1) });
  });

  it('starts no session when the password changed after it was checked', async () => {
    const user = await addUser();
    const session = newSession(user);
    expect(await current.store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion + 1 })).toBeNull();
    expect(await current.store.findSessionByTokenHash(session.tokenHash!)).toBeNull();
  });

  it("ends the user's other cookie sessions, and only those, when asked", async () => {
    const user = await addUser();
    const someoneElse = await addUser();
    const oldCookie = await addSession(user);
    const tokenSession = await addSession(user, 'token');
    const othersCookie = await addSession(someoneElse);
    const fresh = newSession(user);
    const ended = await current.store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: null });
    expect(ended).toEqual([ref(oldCookie)]);
    expect(await surviving([oldCookie, tokenSession, othersCookie, fresh])).toEqual([tokenSession, othersCookie, fresh]);
  });

  it('replaces the session whose token hash the client presented', async () => {
    const user = await addUser();
    const kept = await addSession(user);
    const replaced = await addSession(user);
    const fresh = newSession(user);
    const ended = await current.store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: false, replacesTokenHash: replaced.tokenHash });
    expect(ended).toEqual([ref(replaced)]);
    expect(await surviving([kept, replaced, fresh])).toEqual([kept, fresh]);
  });

  it('reports the replaced session once, first, when it is also one of the cookie sessions ended', async () => {
    const user = await addUser();
    const replaced = await addSession(user);
    const other = await addSession(user);
    const fresh = newSession(user);
    const ended = await current.store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: replaced.tokenHash });
    expect(ended).toEqual([ref(replaced), ref(other)]);
    expect(await surviving([replaced, other, fresh])).toEqual([fresh]);
  });

  it("ends the presented session even when it is another user's, and starts the session when it matches none", async () => {
    const user = await addUser();
    const previousUsersSession = await addSession(await addUser());
    const fresh = newSession(user);
    expect(await current.store.insertSession(fresh, { ...plain, passwordVersion: user.passwordVersion, replacesTokenHash: previousUsersSession.tokenHash })).toEqual([
      ref(previousUsersSession),
    ]);
    const again = newSession(user);
    expect(await current.store.insertSession(again, { ...plain, passwordVersion: user.passwordVersion, replacesTokenHash: previousUsersSession.tokenHash })).toEqual([]);
    expect(await surviving([previousUsersSession, fresh, again])).toEqual([fresh, again]);
  });

  it('leaves one cookie session after concurrent single-session inserts', async () => {
    const user = await addUser();
    const sessions = Array.from({ length: 20 }, () => newSession(user));
    const ended = await Promise.all(
      sessions.map((session) =>
        current.store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion, endOtherCookieSessions: true, replacesTokenHash: null }),
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
    expect(sortById(await current.store.listUserSessions(user.id))).toEqual(sortById([ref(cookie), ref(token)]));
  });

  it('moves the last-seen time forward only', async () => {
    const user = await addUser();
    const session = await addSession(user);
    await current.store.touchSession(session.id, at(120));
    await current.store.touchSession(session.id, at(60));
    expect((await current.store.findSessionByTokenHash(session.tokenHash!))?.lastSeenAt).toEqual(at(120));
  });

  it('deletes a session for exactly one of concurrent callers', async () => {
    const session = await addSession(await addUser());
    const results = await Promise.all(Array.from({ length: 20 }, () => current.store.deleteSession(session.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('changes a password, ending every session but the one kept and the pending reset token', async () => {
    const user = await addUser();
    const kept = await addSession(user);
    const ended = await addSession(user);
    const tokenSession = await addSession(user, 'token');
    const reset: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await current.store.saveResetToken(reset);
    const password = { hash: '$argon2id$changed', normalization: 'none' as const };
    const changed = await current.store.changePassword(user.id, 0, password, kept.id, at(9));
    expect(sortById(changed!)).toEqual(sortById([ref(ended), ref(tokenSession)]));
    expect(await current.store.findUserById(user.id)).toMatchObject({ password, passwordVersion: 1, updatedAt: at(9) });
    expect(await current.store.findResetTokenByHash(reset.tokenHash)).toBeNull();
    expect(await surviving([kept, ended, tokenSession])).toEqual([kept]);
  });

  it('changes nothing when the password version moved on or the kept session has ended', async () => {
    const user = await addUser();
    const other = await addUser();
    const session = await addSession(user);
    const othersSession = await addSession(other);
    const password = { hash: '$argon2id$never', normalization: 'none' as const };
    expect(await current.store.changePassword(user.id, 1, password, session.id, at(9))).toBeNull();
    expect(await current.store.changePassword(user.id, 0, password, othersSession.id, at(9))).toBeNull();
    expect(await current.store.changePassword(user.id, 0, password, generateId(), at(9))).toBeNull();
    expect(await current.store.findUserById(user.id)).toEqual({ ...user, lastLoginAt: session.createdAt });
    expect(await surviving([session, othersSession])).toEqual([session, othersSession]);
  });

  it('lets one of concurrent password changes from one version win', async () => {
    const user = await addUser();
    const session = await addSession(user);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        current.store.changePassword(user.id, 0, { hash: `$argon2id$${index}`, normalization: 'none' }, session.id, at(9)),
      ),
    );
    const winners = results.flatMap((ended, index) => (ended === null ? [] : [index]));
    expect(winners).toHaveLength(1);
    expect(await current.store.findUserById(user.id)).toMatchObject({ passwordVersion: 1, password: { hash: `$argon2id$${winners[0]}` } });
  });

  it('keeps one reset token per user, the newest', async () => {
    const user = await addUser();
    const first: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    const second: ResetToken = { ...first, tokenHash: hashSecret(generateSecret()), createdAt: at(5), expiresAt: at(3605) };
    await current.store.saveResetToken(first);
    await current.store.saveResetToken(second);
    expect(await current.store.findResetTokenByHash(first.tokenHash)).toBeNull();
    expect(await current.store.findResetTokenByHash(second.tokenHash)).toEqual(second);
  });

  it('consumes a reset token for exactly one of concurrent resets', async () => {
    const user = await addUser();
    const session = await addSession(user);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await current.store.saveResetToken(token);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        current.store.resetPassword(user.id, token.tokenHash, { hash: `$argon2id$${index}`, normalization: 'none' }, at(10)),
      ),
    );
    const winners = results.flatMap((ended, index) => (ended === null ? [] : [index]));
    expect(winners).toHaveLength(1);
    expect(results[winners[0]!]).toEqual([{ id: session.id, kind: 'cookie', tokenHash: session.tokenHash }]);
    expect(await current.store.findUserById(user.id)).toMatchObject({ passwordVersion: 1, password: { hash: `$argon2id$${winners[0]}` } });
    expect(await current.store.findResetTokenByHash(token.tokenHash)).toBeNull();
    expect(await surviving([session])).toEqual([]);
  });

  it('changes nothing for an expired, foreign or unknown reset token', async () => {
    const user = await addUser();
    const other = await addUser();
    const session = await addSession(user);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await current.store.saveResetToken(token);
    const password = { hash: '$argon2id$never', normalization: 'none' as const };
    expect(await current.store.resetPassword(user.id, token.tokenHash, password, at(3600))).toBeNull();
    expect(await current.store.resetPassword(other.id, token.tokenHash, password, at(10))).toBeNull();
    expect(await current.store.resetPassword(user.id, hashSecret(generateSecret()), password, at(10))).toBeNull();
    expect((await current.store.findUserById(user.id))?.password).toEqual(user.password);
    expect(await current.store.findResetTokenByHash(token.tokenHash)).toEqual(token);
    expect(await surviving([session])).toEqual([session]);
  });

  it('purges in batches every expired row and nothing else', async () => {
    const user = await addUser();
    const expired = Array.from({ length: 1_203 }, (_, index) =>
      newSession(user, index % 3 === 0 ? 'token' : 'cookie', index % 2 === 0 ? { expiresAt: at(100) } : { lastSeenAt: at(-1000) }),
    );
    for (const session of expired) await current.store.insertSession(session, { ...plain, passwordVersion: user.passwordVersion });
    const live = [await addSession(user), await addSession(user, 'token')];
    const other = await addUser();
    await current.store.saveResetToken({ userId: user.id, tokenHash: hashSecret('old'), createdAt: at(0), expiresAt: at(100) });
    await current.store.saveResetToken({ userId: other.id, tokenHash: hashSecret('new'), createdAt: at(0), expiresAt: at(3600) });

    expect(await current.store.purgeExpired(at(100), at(-500))).toEqual({ sessions: 1_203, resetTokens: 1 });
    expect(await surviving(live)).toEqual(live);
    expect(await current.store.findResetTokenByHash(hashSecret('new'))).not.toBeNull();
  });

  it('finds a session by id with its owner, round-tripping the refresh state', async () => {
    const user = await addUser(newUser('Owner@x.io'));
    const session = await addSession(user, 'token', { refreshGeneration: 3, refreshedAt: at(7) });
    expect(await current.store.findSessionById(session.id)).toEqual({ ...session, email: 'Owner@x.io' });
    expect(await current.store.findSessionById(generateId())).toBeNull();
  });

  it('rotates a refresh token for exactly one of concurrent callers, and never from a wrong parent', async () => {
    const user = await addUser();
    const session = await addSession(user, 'token');
    const childHash = hashSecret(generateSecret());
    expect(await current.store.rotateRefreshToken(session.id, hashSecret('not the parent'), childHash, at(5))).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => current.store.rotateRefreshToken(session.id, session.refreshHash!, childHash, at(9))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await current.store.findSessionById(session.id)).toMatchObject({
      refreshHash: childHash,
      refreshGeneration: 1,
      refreshedAt: at(9),
      lastSeenAt: at(9),
    });
  });

  it('confirms a refresh token only while it is the current one of a live row', async () => {
    const user = await addUser();
    const session = await addSession(user, 'token');
    expect(await current.store.confirmRefreshToken(session.id, hashSecret('other'), at(3))).toBe(false);
    expect(await current.store.confirmRefreshToken(session.id, session.refreshHash!, at(3))).toBe(true);
    // Writing the same value again still matches (MySQL counts matched rows, not changed ones).
    expect(await current.store.confirmRefreshToken(session.id, session.refreshHash!, at(3))).toBe(true);
    expect((await current.store.findSessionById(session.id))?.lastSeenAt).toEqual(at(3));
    await current.store.deleteSession(session.id);
    expect(await current.store.confirmRefreshToken(session.id, session.refreshHash!, at(4))).toBe(false);
  });

  it('sets and clears custom claims', async () => {
    const user = await addUser();
    expect(await current.store.setUserClaims(user.id, { role: 'admin', n: [1, 2] }, at(4))).toBe(true);
    expect(await current.store.findUserById(user.id)).toMatchObject({ claims: { role: 'admin', n: [1, 2] }, updatedAt: at(4) });
    expect(await current.store.setUserClaims(user.id, null, at(5))).toBe(true);
    expect((await current.store.findUserById(user.id))?.claims).toBeNull();
    expect(await current.store.setUserClaims(generateId(), {}, at(5))).toBe(false);
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
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => current.store.insertKey(key(`k${index}`, 1))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await current.store.insertKey(key('next', 2))).toBe(true);
    expect(await current.store.insertKey(key('refresh', 1, 'refresh'))).toBe(true);
    const winner = `k${results.indexOf(true)}`;
    const stored = await current.store.listKeys();
    expect(stored.sort((a, b) => a.kid.localeCompare(b.kid))).toEqual(
      [key(winner, 1), key('next', 2), key('refresh', 1, 'refresh')].sort((a, b) => a.kid.localeCompare(b.kid)),
    );
  });

  it('hands out due outbox messages oldest first, each to one of concurrent claimers, until delivered', async () => {
    const messages = [message(2), message(1), message(3), message(4), message(100)];
    // A reset request for an unknown email adds its message and nothing else the port shows.
    for (const each of messages) await current.store.saveResetRequest(null, each);
    expect(await current.store.claimMessages(at(10), at(70), 2)).toEqual([messages[1], messages[0]]);
    const claims = await Promise.all(Array.from({ length: 5 }, () => current.store.claimMessages(at(10), at(70), 10)));
    expect(claims.flat().map((each) => each.id).sort()).toEqual([messages[2]!.id, messages[3]!.id].sort());
    // Leased: nobody gets them again before the lease ends.
    expect(await current.store.claimMessages(at(69), at(130), 10)).toEqual([]);
    await current.store.deleteMessage(messages[0]!.id);
    await current.store.rescheduleMessage(messages[1]!.id, 1, at(200));
    expect((await current.store.claimMessages(at(70), at(130), 10)).map((each) => each.id).sort()).toEqual([messages[2]!.id, messages[3]!.id].sort());
    // Leases that ran out (never acknowledged) are claimed again: delivery is at least once.
    expect((await current.store.claimMessages(at(199), at(260), 10)).map((each) => each.id).sort()).toEqual(
      [messages[2]!.id, messages[3]!.id, messages[4]!.id].sort(),
    );
    expect(await current.store.claimMessages(at(200), at(260), 10)).toEqual([{ ...messages[1]!, attempts: 1, nextAttemptAt: at(200) }]);
  });

  it('writes an outbox message with the reset token, password change or reset that it tells of, and only then', async () => {
    const user = newUser();
    await current.store.insertUser(user);
    const session = newSession(user);
    await current.store.insertSession(session, { ...plain, passwordVersion: 0 });
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    const requested = message();
    await current.store.saveResetRequest(token, requested);
    const unknown = message();
    await current.store.saveResetRequest(null, unknown);
    const password = { hash: '$argon2id$new', normalization: 'none' as const };
    const refusedChange = message();
    expect(await current.store.changePassword(user.id, 7, password, session.id, at(1), refusedChange)).toBeNull();
    const refusedReset = message();
    expect(await current.store.resetPassword(user.id, hashSecret('wrong'), password, at(1), refusedReset)).toBeNull();
    const reset = message();
    expect(await current.store.resetPassword(user.id, token.tokenHash, password, at(1), reset)).not.toBeNull();
    const changed = message();
    const again = newSession(user);
    await current.store.insertSession(again, { ...plain, passwordVersion: 1 });
    expect(await current.store.changePassword(user.id, 1, password, again.id, at(2), changed)).not.toBeNull();
    const ids = (await current.store.claimMessages(at(10), at(70), 10)).map((each) => each.id).sort();
    expect(ids).toEqual([requested.id, unknown.id, reset.id, changed.id].sort());
  });

  it('writes the same kind of row for unknown emails, request after request, and no reset token', async () => {
    const user = await addUser();
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(1) };
    await current.store.saveResetRequest(token, message());
    // The second and third overwrite the first's row, as a known email's second request does.
    for (let index = 0; index < 3; index += 1) await current.store.saveResetRequest(null, message(index));
    expect(await current.store.findResetTokenByHash(token.tokenHash)).toEqual(token);
    expect(await current.store.purgeExpired(at(10), at(0))).toEqual({ sessions: 0, resetTokens: 1 });
  });

  it('keeps neither the reset token nor its message when the transaction fails', async () => {
    const user = newUser();
    await current.store.insertUser(user);
    const taken = message();
    await current.store.saveResetRequest(null, taken);
    const token: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    // A message id already taken makes the insert fail after the token's.
    await expect(current.store.saveResetRequest(token, { ...message(), id: taken.id })).rejects.toBeInstanceOf(StoreConflictError);
    expect(await current.store.findResetTokenByHash(token.tokenHash)).toBeNull();
  });

  it('records where a session started and when the user last signed in, and lists sessions with their origin, newest first', async () => {
    const user = await addUser();
    const origins: SessionOrigin[] = [
      { clientAddress: '203.0.113.7', userAgent: 'curl/8.5.0' },
      // The longest address text and a User-Agent as long as the core keeps, two UTF-8 bytes a character.
      { clientAddress: '2001:db8:ffff:ffff:ffff:ffff:255.255.255.255', userAgent: 'é'.repeat(MAX_USER_AGENT_LENGTH) },
      { clientAddress: null, userAgent: null },
    ];
    const sessions: Session[] = [];
    for (const [index, origin] of origins.entries()) {
      const session = newSession(user, index === 1 ? 'token' : 'cookie', { createdAt: at(10 * (index + 1)), lastSeenAt: at(10 * (index + 1)) });
      expect(await current.store.insertSession(session, { ...plain, passwordVersion: 0, origin })).toEqual([]);
      sessions.push(session);
    }
    await addSession(await addUser());
    const details = sessions.map((session, index) => ({ ...session, ...origins[index] }));
    expect(await current.store.listSessionDetails(user.id)).toEqual(details.reverse());
    expect((await current.store.findUserById(user.id))?.lastLoginAt).toEqual(at(30));
    // The session check's read carries no origin.
    expect(await current.store.findSessionById(sessions[1]!.id)).toEqual({ ...sessions[1], email: user.email });
    expect(await current.store.listSessionDetails(generateId())).toEqual([]);
  });

  it('ends every session of a user it disables, and starts none, changing nothing, until the user is enabled', async () => {
    const user = await addUser();
    const cookie = await addSession(user);
    const token = await addSession(user, 'token');
    const othersSession = await addSession(await addUser());
    const ended = await current.store.updateUser(user.id, { disabledAt: at(5) }, at(5));
    expect(sortById(ended!)).toEqual(sortById([ref(cookie), ref(token)]));
    expect(await current.store.findUserById(user.id)).toMatchObject({ disabledAt: at(5), updatedAt: at(5), lastLoginAt: at(0) });
    const refused = newSession(user, 'cookie', { createdAt: at(6) });
    expect(await current.store.insertSession(refused, { ...plain, passwordVersion: 0, replacesTokenHash: othersSession.tokenHash })).toBeNull();
    expect(await current.store.findSessionById(refused.id)).toBeNull();
    expect(await current.store.findSessionById(othersSession.id)).not.toBeNull();
    expect((await current.store.findUserById(user.id))?.lastLoginAt).toEqual(at(0));
    expect(await current.store.updateUser(user.id, { disabledAt: null }, at(7))).toEqual([]);
    expect(await current.store.findUserById(user.id)).toMatchObject({ disabledAt: null, updatedAt: at(7) });
    await addSession(user);
  });

  it('leaves no session after a disable that runs among concurrent log-ins', async () => {
    const user = await addUser();
    const sessions = Array.from({ length: 20 }, (_, index) => newSession(user, index % 2 === 0 ? 'cookie' : 'token'));
    const logIn = (session: Session) => current.store.insertSession(session, { ...plain, passwordVersion: 0 });
    const before = sessions.slice(0, 10).map(logIn);
    const disabled = current.store.updateUser(user.id, { disabledAt: at(5) }, at(5));
    const after = sessions.slice(10).map(logIn);
    const [ended, results] = await Promise.all([disabled, Promise.all([...before, ...after])]);
    expect(await current.store.listUserSessions(user.id)).toEqual([]);
    // Each log-in came wholly before the disable, which ended its session, or after it, and was refused.
    const started = sessions.filter((_, index) => results[index] !== null);
    expect(sortById(ended!)).toEqual(sortById(started.map(ref)));
  });

  it('changes claims without ending sessions, and ends every session with a new email', async () => {
    const user = await addUser(newUser('Before@x.io'));
    const session = await addSession(user);
    expect(await current.store.updateUser(user.id, { claims: { role: 'ops' } }, at(3))).toEqual([]);
    expect(await current.store.findUserById(user.id)).toMatchObject({ claims: { role: 'ops' }, updatedAt: at(3), email: 'Before@x.io' });
    expect(await current.store.findSessionById(session.id)).not.toBeNull();
    expect(await current.store.updateUser(user.id, { email: { email: 'After@x.io', emailKey: 'after@x.io' } }, at(4))).toEqual([ref(session)]);
    expect(await current.store.findUserByEmailKey('before@x.io')).toBeNull();
    expect(await current.store.findUserByEmailKey('after@x.io')).toMatchObject({ id: user.id, email: 'After@x.io', claims: { role: 'ops' }, updatedAt: at(4), disabledAt: null });
    expect(await current.store.findSessionById(session.id)).toBeNull();
  });

  it('refuses a new email whose key another user has, changing nothing', async () => {
    const user = await addUser();
    const other = await addUser(newUser('taken@x.io'));
    const session = await addSession(user);
    const changes = { email: { email: 'Taken@x.io', emailKey: 'taken@x.io' }, disabledAt: at(3), claims: { a: 1 } };
    await expect(current.store.updateUser(user.id, changes, at(3))).rejects.toBeInstanceOf(StoreConflictError);
    expect(await current.store.findUserById(user.id)).toEqual({ ...user, lastLoginAt: session.createdAt });
    expect(await current.store.findSessionById(session.id)).not.toBeNull();
    expect(await current.store.findUserById(other.id)).toEqual(other);
  });

  it("answers an operator's write on an unknown user with null, and writes no notice", async () => {
    const notice = message();
    expect(await current.store.updateUser(generateId(), { disabledAt: at(1) }, at(1))).toBeNull();
    expect(await current.store.setPassword(generateId(), { hash: '$argon2id$x', normalization: 'none' }, at(1), notice)).toBeNull();
    expect(await current.store.deleteUser(generateId(), notice)).toBeNull();
    expect(await current.store.deleteUserSessions(generateId())).toEqual([]);
    expect(await current.store.claimMessages(at(10), at(70), 10)).toEqual([]);
  });

  it('sets a password for an operator, ending every session and the pending reset token, with its notice', async () => {
    const user = await addUser();
    const sessions = [await addSession(user), await addSession(user, 'token')];
    const othersSession = await addSession(await addUser());
    const reset: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await current.store.saveResetToken(reset);
    const password = { hash: '$argon2id$set', normalization: 'nfkc' as const };
    const notice = message();
    expect(sortById((await current.store.setPassword(user.id, password, at(8), notice))!)).toEqual(sortById(sessions.map(ref)));
    expect(await current.store.findUserById(user.id)).toMatchObject({ password, passwordVersion: 1, updatedAt: at(8) });
    expect(await current.store.findResetTokenByHash(reset.tokenHash)).toBeNull();
    expect(await surviving([...sessions, othersSession])).toEqual([othersSession]);
    expect(await current.store.claimMessages(at(10), at(70), 10)).toEqual([notice]);
    // A log-in checked against the password before starts nothing.
    expect(await current.store.insertSession(newSession(user), { ...plain, passwordVersion: 0 })).toBeNull();
  });

  it('deletes a user with its sessions and reset token, and tells of it in the outbox', async () => {
    const user = await addUser(newUser('gone@x.io'));
    const sessions = [await addSession(user), await addSession(user, 'token')];
    const othersSession = await addSession(await addUser());
    const reset: ResetToken = { userId: user.id, tokenHash: hashSecret(generateSecret()), createdAt: at(0), expiresAt: at(3600) };
    await current.store.saveResetToken(reset);
    const notice = message();
    expect(sortById((await current.store.deleteUser(user.id, notice))!)).toEqual(sortById(sessions.map(ref)));
    expect(await current.store.findUserById(user.id)).toBeNull();
    expect(await current.store.findSessionByTokenHash(sessions[0]!.tokenHash!)).toBeNull();
    expect(await current.store.findSessionById(sessions[1]!.id)).toBeNull();
    expect(await current.store.listSessionDetails(user.id)).toEqual([]);
    expect(await current.store.findResetTokenByHash(reset.tokenHash)).toBeNull();
    expect(await current.store.claimMessages(at(10), at(70), 10)).toEqual([notice]);
    expect(await current.store.findSessionById(othersSession.id)).not.toBeNull();
    expect(await current.store.deleteUser(user.id)).toBeNull();
    // The email key is free again.
    await addUser(newUser('gone@x.io'));
  });

  it("ends every session of a user, and only that user's, for an operator", async () => {
    const user = await addUser();
    const sessions = [await addSession(user), await addSession(user, 'token')];
    const othersSession = await addSession(await addUser());
    expect(sortById(await current.store.deleteUserSessions(user.id))).toEqual(sortById(sessions.map(ref)));
    expect(await current.store.deleteUserSessions(user.id)).toEqual([]);
    expect(await current.store.findSessionById(othersSession.id)).not.toBeNull();
    expect(await current.store.findUserById(user.id)).not.toBeNull();
  });

  /** Every page of `query`, three users a page, each from just after the last one read; `between` runs beside each page's read. */
  async function walk(query: Omit<UserListQuery, 'after' | 'limit'>, between: (after: UserPosition | null) => Promise<void> = () => Promise.resolve()): Promise<User[]> {
    const seen: User[] = [];
    let after: UserPosition | null = null;
    for (;;) {
      const reading = current.store.listUsers({ ...query, after, limit: 3 });
      await between(after);
      const users: User[] = await reading;
      seen.push(...users);
      const last: User | undefined = users[2];
      if (last === undefined) return seen;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  const inOrder = (order: UserListQuery['order']) => (a: User, b: User) => {
    const ascending = a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return order === 'oldest' ? ascending : -ascending;
  };
  const anyUser = { emailKeyPrefix: null, disabled: null };

  it('pages through users newest or oldest first, ties in creation time ordered by id, and by disabled state', async () => {
    const users = Array.from({ length: 11 }, (_, index) => ({ ...newUser(), createdAt: at(index % 4) }));
    for (const user of users) await addUser(user);
    for (const order of ['newest', 'oldest'] as const) {
      expect(await walk({ ...anyUser, order })).toEqual([...users].sort(inOrder(order)));
    }
    const disabled = users.filter((_, index) => index % 3 === 0);
    for (const user of disabled) await current.store.updateUser(user.id, { disabledAt: at(9) }, at(9));
    const ids = (list: User[]) => list.map((user) => user.id);
    expect(ids(await walk({ ...anyUser, order: 'oldest', disabled: true }))).toEqual(ids([...disabled].sort(inOrder('oldest'))));
    const enabled = users.filter((user) => !disabled.includes(user));
    expect(ids(await walk({ ...anyUser, order: 'newest', disabled: false }))).toEqual(ids([...enabled].sort(inOrder('newest'))));
  });

  it.each(['newest', 'oldest'] as const)('walks, %s first, every user that exists throughout exactly once while others come and go', async (order) => {
    const initial = Array.from({ length: 30 }, (_, index) => ({ ...newUser(), createdAt: at(index % 6) }));
    for (const user of initial) await addUser(user);
    const stable = initial.filter((_, index) => index % 3 !== 0);
    const leaving = initial.filter((_, index) => index % 3 === 0);
    let pages = 0;
    // Beside each of the first pages: two users join, on either side of the walk, and two go,
    // the row the walk stands on among them when it can go.
    const comeAndGo = async (after: UserPosition | null) => {
      pages += 1;
      if (pages > 10) return;
      const standing = leaving.findIndex((user) => user.id === after?.id);
      const going = [...(standing >= 0 ? leaving.splice(standing, 1) : []), ...leaving.splice(0, standing >= 0 ? 1 : 2)];
      const coming = [{ ...newUser(), createdAt: at(pages % 7) }, { ...newUser(), createdAt: at(pages % 3) }];
      leaving.push(...coming);
      await Promise.all([...coming.map((user) => current.store.insertUser(user)), ...going.map((user) => current.store.deleteUser(user.id))]);
    };
    const seen = await walk({ ...anyUser, order }, comeAndGo);
    const ids = seen.map((user) => user.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen).toEqual([...seen].sort(inOrder(order)));
    const stableIds = new Set(stable.map((user) => user.id));
    expect(ids.filter((id) => stableIds.has(id))).toEqual([...stable].sort(inOrder(order)).map((user) => user.id));
  });

  it('filters users by a prefix of the email key taken literally, wildcards, escapes and case included', async () => {
    const keys = ['a%b@x.io', 'azb@x.io', 'a_c@x.io', 'abc@x.io', 'ab@x.io', 'a!b@x.io', 'a\\b@x.io', 'e@x.io', 'é@x.io', 'ê@x.io', 'f@x.io'];
    for (const key of keys) await addUser(newUser(key));
    const matching = async (emailKeyPrefix: string) => (await walk({ order: 'oldest', emailKeyPrefix, disabled: null })).map((user) => user.emailKey).sort();
    expect(await matching('a%')).toEqual(['a%b@x.io']);
    expect(await matching('a_')).toEqual(['a_c@x.io']);
    expect(await matching('a!')).toEqual(['a!b@x.io']);
    expect(await matching('a\\')).toEqual(['a\\b@x.io']);
    expect(await matching('ab')).toEqual(['ab@x.io', 'abc@x.io']);
    expect(await matching('é')).toEqual(['é@x.io']);
    expect(await matching('A')).toEqual([]);
    expect(await matching('')).toEqual([...keys].sort());
  });

  it('answers a ping, and reports itself unavailable once closed', async () => {
    await current.store.ping();
    const closing = await openStore(current.database.config);
    await closing.ping();
    await closing.close();
    await expect(closing.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
