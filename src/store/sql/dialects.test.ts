import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { withoutStatement } from './dialects.js';

const SECRET = '$argon2id$v=19$m=19456,t=2,p=1$not-for-logs';

/** Everything an error would show a log: own properties, enumerable or not. */
const everything = (error: Error) => JSON.stringify(error, Object.getOwnPropertyNames(error));

describe('driver errors on their way to a log', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it.runIf(TEST_ENGINES.includes('mysql'))('lose the statement mysql2 writes the values into', async () => {
    database = await createTestDatabase('mysql');
    const connection = await createConnection({ uri: database.url });
    const error = await connection.query('select * from no_such_table where password_hash = ?', [SECRET]).then(
      () => null,
      (failure: Error) => failure,
    );
    await connection.end();
    expect(everything(error!)).toContain(SECRET);
    const clean = withoutStatement(error);
    expect(everything(clean)).not.toContain(SECRET);
    expect(clean).toMatchObject({ name: 'Error', code: 'ER_NO_SUCH_TABLE' });
  });

  it.runIf(TEST_ENGINES.includes('postgres'))("lose the detail PostgreSQL adds with the row's values", async () => {
    database = await createTestDatabase('postgres');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('create table t (h text unique)');
    await client.query('insert into t values ($1)', [SECRET]);
    const error = await client.query('insert into t values ($1)', [SECRET]).then(
      () => null,
      (failure: Error) => failure,
    );
    await client.end();
    expect(everything(error!)).toContain(SECRET);
    const clean = withoutStatement(error);
    expect(everything(clean)).not.toContain(SECRET);
    expect(clean).toMatchObject({ code: '23505' });
  });

  it('keep the message of what is not an Error', () => {
    expect(withoutStatement('plain').message).toBe('plain');
  });
});
