import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledOnce } from './compiled-queries.js';

interface Tables {
  pets: { id: number; name: string };
}

describe('a query compiled once', () => {
  let db: Kysely<Tables>;
  beforeEach(async () => {
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await sql`create table pets (id integer primary key, name text not null)`.execute(db);
    await db.insertInto('pets').values([{ id: 1, name: 'Rex' }, { id: 2, name: 'Tom' }]).execute();
  });
  afterEach(() => db.destroy());

  it('runs with the values given each time, not those it was compiled with', async () => {
    const byId = compiledOnce(db.selectFrom('pets').select('name').where('id', '=', 0), 1);
    expect(await byId.run(db, [2])).toEqual([{ name: 'Tom' }]);
    expect(await byId.run(db, [1])).toEqual([{ name: 'Rex' }]);
    expect(await byId.run(db, [0])).toEqual([]);
  });

  it('runs in a transaction it is handed', async () => {
    const byId = compiledOnce(db.selectFrom('pets').select('name').where('id', '=', 0), 1);
    const names = await db.transaction().execute(async (trx) => {
      await trx.updateTable('pets').set({ name: 'Max' }).where('id', '=', 1).execute();
      return byId.run(trx, [1]);
    });
    expect(names).toEqual([{ name: 'Max' }]);
  });

  it('refuses, when compiled, a query that takes another number of parameters than said', () => {
    expect(() => compiledOnce(db.selectFrom('pets').select('name').where('id', 'in', [1, 2]), 1)).toThrow(/takes 2 parameters, not 1/);
  });
});
