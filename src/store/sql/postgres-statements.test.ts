import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { newSession, newUser } from '../../../test/support/rows.js';
import { openStore, type EngineStore } from '../open-store.js';

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
});
