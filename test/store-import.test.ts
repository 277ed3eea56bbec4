import { expect, it } from 'vitest';
import type { User } from '../src/core/store.js';
import { ALL_ENGINES, describeEngines, storePerTest } from './support/databases.js';
import { at, newSession, newUser, NO_ORIGIN } from './support/rows.js';

/** `Store.importUsers` on every engine: batches written whole, existing keys skipped or updated, dry runs leave nothing. */
describeEngines(ALL_ENGINES, 'store import on %s', (engine) => {
  const current = storePerTest(engine);

  const options = { update: false, dryRun: false };

  it('inserts new users and skips those whose email key exists, leaving them as they were', async () => {
    const existing = newUser('Old@x.io');
    await current.store.insertUser(existing);
    const clash: User = { ...newUser('old@x.io'), emailKey: 'old@x.io', password: { hash: '$2b$12$clash', normalization: 'none' } };
    const fresh = [newUser(), newUser()];
    expect(await current.store.importUsers([fresh[0]!, clash, fresh[1]!], options)).toEqual(['inserted', 'skipped', 'inserted']);
    expect(await current.store.findUserById(fresh[1]!.id)).toEqual(fresh[1]);
    expect(await current.store.findUserByEmailKey('old@x.io')).toEqual(existing);
    expect(await current.store.importUsers([fresh[0]!], options)).toEqual(['skipped']);
  });

  it('updates an existing user with update: email and hash; the version moves on, sessions and reset end, claims and state stay', async () => {
    const existing = { ...newUser('old@x.io'), claims: { plan: 'pro' }, disabledAt: at(1) };
    await current.store.insertUser(existing);
    const session = newSession(existing);
    await current.store.insertSession(session, { origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null, passwordVersion: 0 });
    await current.store.saveResetToken({ userId: existing.id, tokenHash: 'r'.repeat(64), createdAt: at(0), expiresAt: at(60) });
    const imported: User = { ...newUser('OLD@x.io'), emailKey: 'old@x.io', password: { hash: '$2b$10$new', normalization: 'none' }, claims: { role: 'a' }, updatedAt: at(5) };
    expect(await current.store.importUsers([imported], { update: true, dryRun: false })).toEqual(['updated']);
    const after = await current.store.findUserById(existing.id);
    expect(after).toMatchObject({ email: 'OLD@x.io', password: imported.password, passwordVersion: 1, claims: { plan: 'pro' }, disabledAt: at(1), updatedAt: at(5), createdAt: existing.createdAt });
    expect(await current.store.findSessionById(session.id)).toBeNull();
    expect(await current.store.findResetTokenByHash('r'.repeat(64))).toBeNull();
  });

  it('writes nothing in a dry run, yet answers what it would have done', async () => {
    const existing = newUser();
    await current.store.insertUser(existing);
    const fresh = newUser();
    expect(await current.store.importUsers([fresh, { ...newUser(), emailKey: existing.emailKey }], { update: true, dryRun: true })).toEqual(['inserted', 'updated']);
    expect(await current.store.findUserById(fresh.id)).toBeNull();
    expect(await current.store.findUserById(existing.id)).toEqual(existing);
  });

  it('writes a batch whole or not at all', async () => {
    const taken = newUser();
    await current.store.insertUser(taken);
    // The same id twice: the insert fails on the primary key, and the batch's other row with it.
    const first = newUser();
    const second = { ...newUser(), id: taken.id };
    await expect(current.store.importUsers([first, second], options)).rejects.toThrow();
    expect(await current.store.findUserById(first.id)).toBeNull();
  });

  it('imports a batch of a thousand users in one call', async () => {
    const users = Array.from({ length: 1000 }, () => newUser());
    const outcomes = await current.store.importUsers(users, options);
    expect(outcomes.filter((outcome) => outcome === 'inserted')).toHaveLength(1000);
    expect(await current.store.findUserByEmailKey(users[999]!.emailKey)).toEqual(users[999]);
  });
});
