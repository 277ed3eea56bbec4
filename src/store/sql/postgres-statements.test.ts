import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { newSession, newUser } from '../../../test/support/rows.js';
import { openStore, type EngineStore } from '../open-store.js';
import { openPostgres } from './postgres-dialect.js';
import { isStaleStatement, preparedStatements } from './postgres-statements.js';

const plain = { passwordVersion: 0, endOtherCookieSessions: false, replacesTokenHash: null };

let database: TestDatabase | undefined;
let store: EngineStore | undefined;
afterEach(async () => {
  await store?.close();
  await database?.drop();
  store = undefined;
  database = undefined;
});

async function onDatabase(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
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
