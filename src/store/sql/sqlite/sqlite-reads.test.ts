import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newSession, newUser, NO_ORIGIN, T0 } from '../../../../test/support/rows.js';
import { tempDatabasePath } from '../../../../test/support/test-config.js';
import type { SessionWithEmail } from '../../../core/store.js';
import { openStore, type EngineStore } from '../../open-store.js';
import { SqliteSessionReads } from './sqlite-reads.js';

const plain = { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null };

let path: string;
// Two instances on one file, as two processes (or `sesame gc`) would be.
let instance: EngineStore;
let other: EngineStore;
// A connection of its own that keeps nothing: the truth each answer is held to.
let truth: Database.Database;

beforeEach(async () => {
  path = tempDatabasePath();
  instance = await openStore({ engine: 'sqlite', path });
  await instance.migrate();
  other = await openStore({ engine: 'sqlite', path });
  truth = new Database(path, { readonly: true });
});
afterEach(async () => {
  truth.close();
  await Promise.all([instance.close(), other.close()]);
});

function read(tokenHash: string): { id: string; last_seen_at: number; email: string } | null {
  const row = truth
    .prepare<[string], { id: string; last_seen_at: number; email: string }>(
      'select sessions.id, sessions.last_seen_at, users.email from sessions join users on users.id = sessions.user_id where sessions.token_hash = ?',
    )
    .get(tokenHash);
  return row ?? null;
}

const shape = (session: SessionWithEmail | null) => session && { id: session.id, last_seen_at: session.lastSeenAt.getTime(), email: session.email };

describe('sessions kept in the process on SQLite', () => {
  it('serves a session read again from memory while nothing was written', async () => {
    const user = newUser();
    const session = newSession(user);
    await instance.insertUser(user);
    await instance.insertSession(session, plain);
    const first = await instance.findSessionByTokenHash(session.tokenHash!);
    expect(first).toMatchObject({ id: session.id, email: user.email });
    expect(await instance.findSessionByTokenHash(session.tokenHash!)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('reads again after a write of its own, and after a commit by another connection', async () => {
    const user = newUser();
    const session = newSession(user);
    await instance.insertUser(user);
    await instance.insertSession(session, plain);
    await instance.findSessionByTokenHash(session.tokenHash!);
    await instance.touchSession(session.id, new Date(T0 + 60_000));
    expect((await instance.findSessionByTokenHash(session.tokenHash!))?.lastSeenAt).toEqual(new Date(T0 + 60_000));
    await other.touchSession(session.id, new Date(T0 + 120_000));
    expect((await instance.findSessionByTokenHash(session.tokenHash!))?.lastSeenAt).toEqual(new Date(T0 + 120_000));
    await other.deleteSession(session.id);
    expect(await instance.findSessionByTokenHash(session.tokenHash!)).toBeNull();
  });

  it('answers every read as an uncached connection does, whichever instance wrote last', async () => {
    const user = newUser();
    await instance.insertUser(user);
    const sessions = Array.from({ length: 4 }, () => newSession(user));
    const step = fc.record({
      by: fc.constantFrom('instance', 'other'),
      what: fc.constantFrom('insert', 'touch', 'delete', 'read', 'read'),
      session: fc.integer({ min: 0, max: sessions.length - 1 }),
      seconds: fc.integer({ min: 1, max: 3_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        for (const { by, what, session: index, seconds } of steps) {
          const store = by === 'instance' ? instance : other;
          const session = sessions[index]!;
          if (what === 'insert' && read(session.tokenHash!) === null) await store.insertSession(session, plain);
          if (what === 'touch') await store.touchSession(session.id, new Date(T0 + seconds * 1000));
          if (what === 'delete') await store.deleteSession(session.id);
          // Every read goes through both instances, each held to the truth.
          for (const reader of [instance, other]) expect(shape(await reader.findSessionByTokenHash(session.tokenHash!))).toEqual(read(session.tokenHash!));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('the epoch of sessions kept in the process', () => {
  let database: Database.Database;
  let reads: SqliteSessionReads;
  let dataVersionChecks: number;
  const sessions = Array.from({ length: 5 }, (_, index) => ({ ...newSession(newUser()), email: `user${index}@x.io` }));
  const loaded = (session: SessionWithEmail) => () => Promise.resolve({ ...session });

  beforeEach(() => {
    path = tempDatabasePath();
    database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.exec('create table t (x)');
    // Counts the `data_version` checks the reads make on the real database.
    const prepare = database.prepare.bind(database);
    dataVersionChecks = 0;
    database.prepare = ((source: string) => {
      const statement = prepare(source);
      const get = statement.get.bind(statement);
      statement.get = (...parameters: unknown[]) => {
        dataVersionChecks += 1;
        return get(...parameters);
      };
      return statement;
    }) as typeof database.prepare;
    reads = new SqliteSessionReads(10);
    reads.attach(database);
  });
  afterEach(() => {
    if (database.open) database.close();
  });

  it('starts a new epoch at a write of its own and at a commit of another connection, and keeps nothing once closed', async () => {
    const [first, second, third, fourth, fifth] = sessions;
    const kept = await reads.read('key', loaded(first!));
    expect(kept).toEqual(first);
    expect(await reads.read('key', loaded(second!))).toBe(kept);
    reads.wrote();
    expect(await reads.read('key', loaded(second!))).toEqual(second);
    const another = new Database(path);
    another.exec('insert into t values (1)');
    another.close();
    expect(await reads.read('key', loaded(third!))).toEqual(third);
    database.close();
    expect(await reads.read('key', loaded(fourth!))).toEqual(fourth);
    expect(await reads.read('key', loaded(fifth!))).toEqual(fifth);
  });

  it('sees a commit made after the read was asked and before it was answered', async () => {
    const [first, second] = sessions;
    await reads.read('key', loaded(first!));
    const asked = reads.read('key', loaded(second!));
    const another = new Database(path);
    another.exec('insert into t values (1)');
    another.close();
    expect(await asked).toEqual(second);
  });

  it('checks the database once for every kept session asked for in one turn of the event loop', async () => {
    for (const [index, session] of sessions.entries()) await reads.read(`key${index}`, loaded(session));
    dataVersionChecks = 0;
    const answers = await Promise.all(sessions.map((session, index) => reads.read(`key${index}`, loaded(sessions[0]!))));
    expect(answers).toEqual(sessions);
    expect(dataVersionChecks).toBe(1);
  });

  it('drops the copy of a session read again as gone, so that its token is read at once next time', async () => {
    const [first] = sessions;
    await reads.read('key', loaded(first!));
    reads.wrote();
    expect(await reads.read('key', () => Promise.resolve(null))).toBeNull();
    let loadedAt: 'at once' | 'later' | null = null;
    const asked = reads.read('key', () => {
      loadedAt ??= 'at once';
      return Promise.resolve(null);
    });
    loadedAt ??= 'later';
    expect(await asked).toBeNull();
    expect(loadedAt).toBe('at once');
  });

  it('keeps nothing read in an epoch that ended while it was read, and passes on a failed read', async () => {
    const [first, second] = sessions;
    const read = await reads.read('key', () => {
      reads.wrote();
      return Promise.resolve({ ...first! });
    });
    expect(read).toEqual(first);
    expect(await reads.read('key', loaded(second!))).toEqual(second);
    reads.wrote();
    await expect(reads.read('key', () => Promise.reject(new Error('disk gone')))).rejects.toThrow('disk gone');
  });
});
