import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { newSession, newUser, NO_ORIGIN, T0 } from '../../../../test/support/rows.js';
import { sqliteBesideReader } from '../../../../test/support/sqlite-beside.js';
import { tempDatabasePath } from '../../../../test/support/test-config.js';
import { StoreConflictError } from '../../../core/store.js';
import { openSqlite } from './sqlite-dialect.js';

const plain = { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null };

const sqlite = sqliteBesideReader();

const lastSeen = (sessionId: string) =>
  sqlite.outside.prepare<[string], { last_seen_at: number }>('select last_seen_at from sessions where id = ?').get(sessionId)?.last_seen_at;

describe('group commit on SQLite', () => {
  it('commits concurrent writes together, and answers each only once another connection sees it', async () => {
    const user = newUser();
    await sqlite.store.insertUser(user);
    const sessions = Array.from({ length: 5 }, () => newSession(user));
    for (const session of sessions) await sqlite.store.insertSession(session, plain);
    const onDiskAtEachAnswer: Array<Array<number | undefined>> = [];
    await Promise.all(
      sessions.map(async (session, index) => {
        await sqlite.store.touchSession(session.id, new Date(T0 + (index + 1) * 60_000));
        onDiskAtEachAnswer.push(sessions.map(({ id }) => lastSeen(id)));
      }),
    );
    // One commit for all five: the first answer already finds every one of them on disk.
    const all = sessions.map((_, index) => T0 + (index + 1) * 60_000);
    expect(onDiskAtEachAnswer).toEqual(sessions.map(() => all));
  });

  it('answers a read that comes while a batch is open from what is on disk once the batch ends', async () => {
    const user = newUser();
    await sqlite.store.insertUser(user);
    const session = newSession(user);
    await sqlite.store.insertSession(session, plain);
    // Reads started a few steps after the write, some before it runs and some after it, uncommitted.
    for (let step = 0; step < 30; step += 1) {
      const write = sqlite.store.touchSession(session.id, new Date(T0 + (step + 1) * 60_000));
      for (let wait = 0; wait < step; wait += 1) await Promise.resolve();
      const answered = await sqlite.store.findSessionById(session.id);
      expect(answered?.lastSeenAt.getTime()).toBe(lastSeen(session.id));
      await write;
    }
  });

  it('fails only the write that breaks a constraint; the others of its batch commit', async () => {
    const user = newUser('taken@x.io');
    await sqlite.store.insertUser(user);
    const session = newSession(user);
    await sqlite.store.insertSession(session, plain);
    const [duplicate, touch, other] = await Promise.allSettled([
      sqlite.store.insertUser(newUser('taken@x.io')),
      sqlite.store.touchSession(session.id, new Date(T0 + 60_000)),
      sqlite.store.insertUser(newUser('free@x.io')),
    ]);
    expect(duplicate.status === 'rejected' && duplicate.reason instanceof StoreConflictError).toBe(true);
    expect(touch).toEqual({ status: 'fulfilled', value: true });
    expect(other.status).toBe('fulfilled');
    expect(lastSeen(session.id)).toBe(T0 + 60_000);
    expect(sqlite.outside.prepare('select count(*) as n from users').get()).toEqual({ n: 2 });
  });

  it('treats a write that returns rows as a write: in the batch, answered once on disk', async () => {
    const path = tempDatabasePath();
    const db = new Kysely<{ t: { x: number } }>({ dialect: openSqlite(path).kysely });
    await sql`create table t (x integer)`.execute(db);
    const reader = new Database(path, { readonly: true });
    const count = () => reader.prepare('select count(*) as n from t').get();
    // A plain write opens the batch; the others return their rows, and join it.
    const plain = db.insertInto('t').values({ x: 0 }).execute().then(count);
    const answers = await Promise.all(
      [1, 2, 3].map(async (x) => {
        const rows = await db.insertInto('t').values({ x }).returning('x').execute();
        return { rows, onDisk: count() };
      }),
    );
    expect(await plain).toEqual({ n: 4 });
    expect(answers).toEqual([1, 2, 3].map((x) => ({ rows: [{ x }], onDisk: { n: 4 } })));
    reader.close();
    await db.destroy();
  });

  describe('transactions', () => {
    async function tableBeside() {
      const path = tempDatabasePath();
      const db = new Kysely<{ t: { x: number } }>({ dialect: openSqlite(path).kysely });
      await sql`create table t (x integer)`.execute(db);
      const reader = new Database(path, { readonly: true });
      return {
        db,
        onDisk: () => (reader.prepare('select x from t order by x').all() as Array<{ x: number }>).map((row) => row.x),
        // Moves when another connection commits: the number of commits, seen from outside.
        commits: () => reader.pragma('data_version', { simple: true }) as number,
        close: async () => {
          reader.close();
          await db.destroy();
        },
      };
    }

    it('join the open batch: plain writes and a transaction beside them cost one commit, each answered once all is on disk', async () => {
      const table = await tableBeside();
      const before = table.commits();
      const answers = await Promise.all([
        table.db.insertInto('t').values({ x: 1 }).execute().then(table.onDisk),
        table.db
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('t').values({ x: 2 }).execute();
            await trx.insertInto('t').values({ x: 3 }).execute();
          })
          .then(table.onDisk),
        table.db.insertInto('t').values({ x: 4 }).execute().then(table.onDisk),
      ]);
      expect(answers).toEqual([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]);
      expect(table.commits() - before).toBe(1);
      await table.close();
    });

    it('hold the batch until they end, however many turns of the event loop they take', async () => {
      const table = await tableBeside();
      const plain = table.db.insertInto('t').values({ x: 1 }).execute();
      const transaction = table.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ x: 2 }).execute();
        // Past the batch's turn to commit: its commit must not take this half of the transaction.
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(table.onDisk()).toEqual([]);
        await trx.insertInto('t').values({ x: 3 }).execute();
      });
      await Promise.all([plain, transaction]);
      expect(table.onDisk()).toEqual([1, 2, 3]);
      await table.close();
    });

    it('roll back alone: the batch around a failed transaction commits its other writes', async () => {
      const table = await tableBeside();
      const [plain, failed, other] = await Promise.allSettled([
        table.db.insertInto('t').values({ x: 1 }).execute(),
        table.db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ x: 2 }).execute();
          throw new Error('changed its mind');
        }),
        table.db.insertInto('t').values({ x: 3 }).execute(),
      ]);
      expect([plain.status, failed.status, other.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(table.onDisk()).toEqual([1, 3]);
      await table.close();
    });

    it("keep their writes from other connections' reads until they are on disk", async () => {
      const table = await tableBeside();
      let release = () => undefined as void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const transaction = table.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ x: 1 }).execute();
        await held;
      });
      // Started while the transaction holds its write: answered only after the commit, from disk.
      const read = table.db.selectFrom('t').select('x').execute().then((rows) => ({ rows: rows.map((row) => row.x), onDisk: table.onDisk() }));
      await new Promise((resolve) => setTimeout(resolve, 10));
      release();
      await transaction;
      expect(await read).toEqual({ rows: [1], onDisk: [1] });
      await table.close();
    });
  });
});
