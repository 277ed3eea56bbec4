import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, newSession, newUser, NO_ORIGIN } from '../../../test/support/rows.js';
import { tempDatabasePath } from '../../../test/support/test-config.js';
import type { Session, SessionRef } from '../../core/store.js';
import { SqlStore } from './sql-store.js';
import { openSqlite } from './sqlite/sqlite-dialect.js';

const ref = ({ id, kind, tokenHash }: Session): SessionRef => ({ id, kind, tokenHash });

// Both ways of ending sessions, on SQLite, whichever engines the test run has: the store
// contract reaches the read-then-delete way only where a MySQL server is at hand.
describe.each([true, false])('ending sessions with DELETE … RETURNING: %s', (deleteReturning) => {
  let store: SqlStore;
  beforeEach(async () => {
    store = new SqlStore({ ...openSqlite(tempDatabasePath()), deleteReturning });
    await store.migrate();
  });
  afterEach(() => store.close());

  it('ends the presented session first, then the other cookie sessions, each once, and leaves token sessions', async () => {
    const user = newUser();
    const someoneElse = newUser();
    await store.insertUser(user);
    await store.insertUser(someoneElse);
    const start = (session: Session) => store.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null });
    const [other, presented, tokens, othersCookie] = [newSession(user), newSession(user), newSession(user, 'token'), newSession(someoneElse)];
    for (const session of [other, presented, tokens, othersCookie]) await start(session);
    const fresh = newSession(user);
    const ended = await store.insertSession(fresh, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: true, replacesTokenHash: presented.tokenHash });
    expect(ended).toEqual([ref(presented), ref(other)]);
    const live = await store.listUserSessions(user.id);
    expect(live.map(({ id }) => id).sort()).toEqual([tokens.id, fresh.id].sort());
    expect(await store.findSessionById(othersCookie.id)).not.toBeNull();
  });

  it('ends, on a password change, every other session of the user and reports each once', async () => {
    const user = newUser();
    const someoneElse = newUser();
    await store.insertUser(user);
    await store.insertUser(someoneElse);
    const sessions = [newSession(user), newSession(user), newSession(user, 'token'), newSession(someoneElse)];
    for (const session of sessions) await store.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null });
    const [kept, cookie, tokens, othersCookie] = sessions as [Session, Session, Session, Session];
    const ended = await store.changePassword(user.id, 0, { hash: '$argon2id$new', normalization: 'none' }, kept.id, at(9));
    expect(ended?.map(({ id }) => id).sort()).toEqual([cookie.id, tokens.id].sort());
    expect((await store.listUserSessions(user.id)).map(({ id }) => id)).toEqual([kept.id]);
    expect(await store.findSessionById(othersCookie.id)).not.toBeNull();
  });

  it('changes nothing when the password version moved on', async () => {
    const user = newUser();
    await store.insertUser(user);
    const kept = newSession(user);
    await store.insertSession(kept, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null });
    const fresh = newSession(user);
    expect(await store.insertSession(fresh, { passwordVersion: 1, origin: NO_ORIGIN, endOtherCookieSessions: true, replacesTokenHash: kept.tokenHash })).toBeNull();
    expect((await store.listUserSessions(user.id)).map(({ id }) => id)).toEqual([kept.id]);
  });
});
