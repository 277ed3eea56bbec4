import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileNamed, placeholders } from './named-statement.js';

interface Tables {
  pets: { id: number; name: string; owner: string };
}

describe('a statement compiled once with named parameters', () => {
  let db: Kysely<Tables>;
  beforeEach(async () => {
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await sql`create table pets (id integer primary key, name text not null, owner text not null)`.execute(db);
    await db
      .insertInto('pets')
      .values([
        { id: 1, name: 'Rex', owner: 'Ann' },
        { id: 2, name: 'Tom', owner: 'Bob' },
      ])
      .execute();
  });
  afterEach(() => db.destroy());

  const byId = () => {
    const p = placeholders<{ id: number }>();
    return compileNamed(db.selectFrom('pets').select('name').where('id', '=', p.id), p);
  };

  it('runs with the values given each time, not those it was compiled with', async () => {
    const statement = byId();
    expect(await statement.run(db, { id: 2 })).toEqual([{ name: 'Tom' }]);
    expect(await statement.run(db, { id: 1 })).toEqual([{ name: 'Rex' }]);
    expect(await statement.run(db, { id: 0 })).toEqual([]);
  });

  it('runs in a transaction it is handed', async () => {
    const statement = byId();
    const names = await db.transaction().execute(async (trx) => {
      await trx.updateTable('pets').set({ name: 'Max' }).where('id', '=', 1).execute();
      return statement.run(trx, { id: 1 });
    });
    expect(names).toEqual([{ name: 'Max' }]);
  });

  it('gives each value to its name, whatever order the clauses that take them come in', async () => {
    const p = placeholders<{ name: string; owner: string; newName: string }>();
    const renames = [
      compileNamed(db.updateTable('pets').set({ name: p.newName }).where('name', '=', p.name).where('owner', '=', p.owner), p),
      compileNamed(db.updateTable('pets').where('owner', '=', p.owner).set({ name: p.newName }).where('name', '=', p.name), p),
    ];
    const params = { name: 'Rex', owner: 'Ann', newName: 'Max' };
    expect(renames.map((rename) => rename.values(params))).toEqual([
      ['Max', 'Rex', 'Ann'],
      ['Max', 'Ann', 'Rex'],
    ]);
    // Three strings: a value bound to another's place would still bind, and change no row.
    for (const rename of renames) {
      expect(await rename.changes(db, params)).toBe(1n);
      expect(await db.selectFrom('pets').select(['id', 'name']).orderBy('id').execute()).toEqual([
        { id: 1, name: 'Max' },
        { id: 2, name: 'Tom' },
      ]);
      await db.updateTable('pets').set({ name: 'Rex' }).where('id', '=', 1).execute();
    }
  });

  it('gives a name used twice its one value in both places', async () => {
    const p = placeholders<{ name: string }>();
    const named = compileNamed(db.selectFrom('pets').select('id').where('name', '=', p.name).where('owner', '!=', p.name), p);
    expect(named.values({ name: 'Tom' })).toEqual(['Tom', 'Tom']);
    expect(await named.run(db, { name: 'Tom' })).toEqual([{ id: 2 }]);
  });

  it('refuses, when compiled, a value written into the statement instead of a placeholder', () => {
    const p = placeholders<{ id: number }>();
    expect(() => compileNamed(db.selectFrom('pets').select('name').where('id', '=', p.id).where('owner', '=', 'Ann'), p)).toThrow(
      /parameter 2 is a value, not a placeholder/,
    );
    const none = placeholders<Record<never, never>>();
    expect(() => compileNamed(db.selectFrom('pets').select('name').where('id', 'in', [1, 2]), none)).toThrow(/parameter 1 is a value/);
  });

  it('refuses, when compiled, a statement that leaves out a placeholder it was built with', () => {
    const p = placeholders<{ id: number; name: string }>();
    const { name } = p;
    expect(name).toBeDefined();
    expect(() => compileNamed(db.selectFrom('pets').select('name').where('id', '=', p.id), p)).toThrow(/the placeholder name is not in the statement/);
  });

  it("refuses, when compiled, another statement's placeholder", () => {
    const p = placeholders<{ id: number }>();
    const other = placeholders<{ id: number }>();
    expect(() => compileNamed(db.selectFrom('pets').select('name').where('id', '=', other.id), p)).toThrow(/another statement's placeholder id/);
  });

  it('takes its parameters by name and type, as the type check proves', () => {
    const p = placeholders<{ id: number; name: string }>();
    const statement = compileNamed(db.updateTable('pets').set({ name: p.name }).where('id', '=', p.id), p);
    // Never called: each line must fail `npm run typecheck`, which fails on an unused @ts-expect-error.
    const mistakes = () => [
      // @ts-expect-error -- a parameter missing
      statement.values({ id: 1 }),
      // @ts-expect-error -- a value of the wrong type
      statement.values({ id: '1', name: 'Rex' }),
      // @ts-expect-error -- a name the statement does not have
      statement.values({ id: 1, name: 'Rex', owner: 'Ann' }),
      // @ts-expect-error -- a placeholder of one type where a column of another goes
      db.selectFrom('pets').select('id').where('id', '=', p.name),
    ];
    expect(statement.values({ id: 1, name: 'Rex' })).toEqual(['Rex', 1]);
    expect(mistakes).toBeTypeOf('function');
  });
});
