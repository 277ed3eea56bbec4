import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../../../../test/support/databases.js';
import { newSession, newUser, NO_ORIGIN } from '../../../../test/support/rows.js';
import { openStore, type EngineStore } from '../../open-store.js';
import { openPostgres } from './postgres-dialect.js';
import { isStaleStatement, preparedStatements } from './postgres-statements.js';

const plain = { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null };

let database: TestDatabase | undefined;
let store: EngineStore | undefined;
afterEach(async () => {
  await store?.close();
  await database?.drop();
  store = undefined;
  database = undefined;
});

async function onDatabase(url: string, statement: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows as unknown[];
  } finally {
    await client.end();
  }
}

describe.runIf(TEST_ENGINES.includes('postgres'))('prepared statements on PostgreSQL', () => {
  it('answers a prepared read again after another connection added a column to its table', async () => {
    database = await createTestDatabase('postgres');
    // One connection: the read after the change meets the statement prepared before it.
    store = await openStore({ engine: 'postgres', url: database.url, poolSize: 1, timeoutSeconds: 10 });
    await store.migrate();
    const user = newUser();
    const session = newSession(user);
    await store.insertUser(user);
    await store.insertSession(session, plain);
    expect(await store.findSessionByTokenHash(session.tokenHash!)).toMatchObject({ id: session.id, email: user.email });
    await onDatabase(database.url, 'alter table sessions add column added_later integer');
    expect(await store.findSessionByTokenHash(session.tokenHash!)).toMatchObject({ id: session.id, email: user.email });
    expect(await store.findSessionByTokenHash(session.tokenHash!)).toMatchObject({ id: session.id });
  });

  it('discards a connection whose query timed out in a transaction, so that later writes on it commit', async () => {
    database = await createTestDatabase('postgres');
    // One connection, so that the write after the timeout meets the connection that timed out.
    store = await openStore({ engine: 'postgres', url: database.url, poolSize: 1, timeoutSeconds: 0.3 });
    await store.migrate();
    const user = newUser();
    await store.insertUser(user);
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('select 1 from users where id = $1 for update', [user.id]);
      // The log-in's transaction waits for the user's row lock: its query times out, and so
      // does the rollback queued behind it, which pg then drops unsent.
      await expect(store.insertSession(newSession(user), plain)).rejects.toThrow(/unavailable|did not answer/);
      await new Promise((resolve) => setTimeout(resolve, 800));
    } finally {
      // The lock goes: the timed-out query completes, inside its never-ended transaction.
      await locker.query('rollback');
      await locker.end();
    }
    const other = newUser();
    await store.insertUser(other);
    const onServer = await onDatabase(database.url, `select count(*)::int as n from users where id = '${other.id}'`);
    expect(onServer).toEqual([{ n: 1 }]);
  });

  it('ends its pool on close when only reads past Kysely used it', async () => {
    database = await createTestDatabase('postgres');
    const migrating = await openStore({ engine: 'postgres', url: database.url, poolSize: 1, timeoutSeconds: 10 });
    await migrating.migrate();
    await migrating.close();
    store = await openStore({ engine: 'postgres', url: database.url, poolSize: 2, timeoutSeconds: 10 });
    expect(await store.findSessionByTokenHash('0'.repeat(64))).toBeNull();
    await store.close();
    store = undefined;
    const connections = () => onDatabase(database!.url, `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
    await expect.poll(connections, { timeout: 5_000 }).toEqual([{ n: 0 }]);
  });

  it('gives a read past Kysely the rows Kysely gives for the same statement', async () => {
    database = await createTestDatabase('postgres');
    const statements = preparedStatements(new pg.Pool({ connectionString: database.url, max: 2 }), 10);
    const db = new Kysely<{ t: { id: number; at: string; label: string | null } }>({ dialect: new PostgresDialect({ pool: statements.pool }) });
    try {
      await sql`create table t (id integer primary key, at bigint not null, label text)`.execute(db);
      await db.insertInto('t').values([{ id: 1, at: '1700000000000', label: 'one' }, { id: 2, at: '1700000000001', label: null }]).execute();
      const compiled = db.selectFrom('t').selectAll().where('id', '>', 0).orderBy('id').compile();
      const throughKysely = (await db.executeQuery(compiled)).rows;
      const direct = (await statements.query(compiled.sql, [0])).rows;
      expect(direct).toEqual(throughKysely);
      expect(direct).toEqual([{ id: 1, at: '1700000000000', label: 'one' }, { id: 2, at: '1700000000001', label: null }]);
    } finally {
      await db.destroy();
      await statements.end();
    }
  });

  it('keeps the connection on which a read past Kysely met a stale statement', async () => {
    database = await createTestDatabase('postgres');
    const statements = preparedStatements(new pg.Pool({ connectionString: database.url, max: 1 }), 10);
    try {
      await statements.query('create table t (id integer primary key)', []);
      const backend = async () => ((await statements.query('select pg_backend_pid() as pid', [])).rows as Array<{ pid: number }>)[0]!.pid;
      const read = 'select * from t where id > $1';
      expect((await statements.query(read, [0])).rows).toEqual([]);
      const before = await backend();
      await onDatabase(database.url, 'alter table t add column added_later integer');
      expect((await statements.query(read, [0])).rows).toEqual([]);
      expect(await backend()).toBe(before);
    } finally {
      await statements.end();
    }
  });

  it('fails a transaction whose statement the server lost, and runs it again in the next one', async () => {
    database = await createTestDatabase('postgres');
    // One connection, so that `deallocate all` empties the statements the next queries meet.
    const db = new Kysely<{ t: { id: number } }>({ dialect: new PostgresDialect({ pool: preparedStatements(new pg.Pool({ connectionString: database.url, max: 1 }), 10).pool }) });
    try {
      await sql`create table t (id integer primary key)`.execute(db);
      const ids = async () => (await db.selectFrom('t').select('id').orderBy('id').execute()).map((row) => row.id);
      await db.insertInto('t').values({ id: 1 }).execute();
      expect(await ids()).toEqual([1]);
      await sql`deallocate all`.execute(db);
      // Outside a transaction the statement had not run: it runs again, prepared afresh.
      expect(await ids()).toEqual([1]);
      await sql`deallocate all`.execute(db);
      // Inside one, the transaction is over: nothing of it stays, and the caller hears why.
      const failed = db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2 }).execute();
      });
      const error = await failed.then(() => null, (reason: unknown) => reason);
      expect(isStaleStatement(error)).toBe(true);
      // Answered as unavailable (503, retry): the retry finds the statement renamed.
      expect(openPostgres(database.url, 1, 1000).classifyError(error)).toBe('unavailable');
      expect(await ids()).toEqual([1]);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2 }).execute();
      });
      expect(await ids()).toEqual([1, 2]);
    } finally {
      await db.destroy();
    }
  });
});
