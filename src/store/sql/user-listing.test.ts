import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { tempDatabasePath } from '../../../test/support/test-config.js';
import type { UserListQuery } from '../../core/store.js';
import { openStore } from '../open-store.js';
import type { Tables } from './tables.js';
import { listUsers, prefixEnd } from './user-listing.js';

describe('the end of an email key prefix range', () => {
  it('is the prefix with its last code point one higher', () => {
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a%')).toBe('a&');
    expect(prefixEnd('é')).toBe('ê');
    expect(prefixEnd('a\u{1F600}')).toBe('a\u{1F601}');
  });

  it('steps over the surrogates, which no stored string holds', () => {
    expect(prefixEnd('a\u{D7FF}')).toBe('a\u{E000}');
  });

  it('carries past the highest code point, and is none when nothing is above', () => {
    expect(prefixEnd('a\u{10FFFF}')).toBe('b');
    expect(prefixEnd('\u{10FFFF}\u{10FFFF}')).toBeNull();
    expect(prefixEnd('')).toBeNull();
  });
});

/**
 * SQLite plans without statistics, so its choices can be read off a small table. Each listing
 * must walk an index in the page's order, reading no more rows than it returns: a temporary
 * B-tree would sort every matching user, a scan of another index would read past the others.
 */
describe("the user listing's plans on SQLite", () => {
  async function planOf(query: Partial<UserListQuery>): Promise<string> {
    const path = tempDatabasePath();
    const store = await openStore({ engine: 'sqlite', path });
    await store.migrate();
    await store.close();
    const database = new Database(path);
    const compiled: CompiledQuery[] = [];
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }), log: (event) => void compiled.push(event.query) });
    try {
      await listUsers(db, { order: 'newest', after: null, emailKeyPrefix: null, disabled: null, limit: 100, ...query });
      const [{ sql, parameters }] = compiled as [CompiledQuery];
      const rows = database.prepare(`explain query plan ${sql}`).all(...parameters) as Array<{ detail: string }>;
      return rows.map((row) => row.detail).join('\n');
    } finally {
      await db.destroy();
    }
  }
  const after = { createdAt: new Date(1_000_000), id: '0000000000000000000042' };

  it.each([
    ['every user', {}],
    ['every user, oldest first, from a cursor', { order: 'oldest', after }],
    ['the active users', { disabled: false }],
  ] as const)('reads %s along the (created_at, id) index', async (_name, query) => {
    const plan = await planOf(query);
    expect(plan).toMatch(/USING INDEX users_created_at_id/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it.each([
    ['newest first', {}],
    ['oldest first, from a cursor', { order: 'oldest', after }],
  ] as const)('reads the disabled users, %s, along an index of them alone', async (_name, query) => {
    const plan = await planOf({ ...query, disabled: true });
    expect(plan).toMatch(/USING INDEX users_disabled\b/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
