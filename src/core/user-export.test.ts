import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_SQLITE, sqliteHashes } from '../../test/support/legacy-fixtures.js';
import { at, newUser } from '../../test/support/rows.js';
import { openStore, type EngineStore } from '../store/open-store.js';
import type { User } from './store.js';
import { exportUsers, passwordFormatOf, toExportedUser } from './user-export.js';

describe('passwordFormatOf', () => {
  it("names each fixture's scheme as the log-in's verifier does, and what it cannot verify unknown", () => {
    const formats = (file: (typeof LEGACY_SQLITE)[number]['file']) => new Set(sqliteHashes(LEGACY_SQLITE.find((fixture) => fixture.file === file)!).map(({ hash }) => passwordFormatOf(hash)));
    expect(formats('holberton-flask-sqlalchemy.db')).toEqual(new Set(['bcrypt']));
    expect(formats('flask-jwt-course.db')).toEqual(new Set(['passlib-pbkdf2-sha256']));
    expect(formats('werkzeug-hashes.db')).toEqual(new Set(['werkzeug-pbkdf2-sha256']));
    expect(formats('werkzeug-3.1.8-hashes.db')).toEqual(new Set(['werkzeug-pbkdf2-sha256', 'werkzeug-scrypt']));
    expect(['$2x$10$abcdefghijklmnopqrstuu', 'plain-text', ''].map(passwordFormatOf)).toEqual(['unknown', 'unknown', 'unknown']);
  });
});

describe('toExportedUser', () => {
  it('writes exactly the format keys, in order, with times in UTC to the millisecond', () => {
    const user: User = {
      ...newUser('Zoë@Example.org'),
      password: { hash: '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', normalization: 'nfkc' },
      claims: { role: 'admin' },
      createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)),
      updatedAt: new Date(Date.UTC(2026, 1, 2, 3, 4, 5, 8)),
      disabledAt: new Date(Date.UTC(2026, 2, 2, 3, 4, 5, 900)),
      lastLoginAt: at(99),
    };
    expect(JSON.stringify(toExportedUser(user))).toBe(
      JSON.stringify({
        format: 'sesame-users/1',
        id: user.id,
        email: 'Zoë@Example.org',
        password_hash: '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
        password_format: 'bcrypt',
        normalization: 'nfkc',
        claims: { role: 'admin' },
        created_at: '2026-01-02T03:04:05.067Z',
        updated_at: '2026-02-02T03:04:05.008Z',
        disabled_at: '2026-03-02T03:04:05.900Z',
      }),
    );
    expect(toExportedUser({ ...user, claims: null, disabledAt: null })).toMatchObject({ claims: null, disabled_at: null });
  });
});

describe('exportUsers', () => {
  let store: EngineStore;
  afterEach(() => store.close());

  it('walks every user once, oldest first and by id among equals, across pages', async () => {
    store = await openStore({ engine: 'sqlite', path: ':memory:' });
    await store.migrate();
    // Seven users on three instants, so that page ends fall between users created together.
    const users = Array.from({ length: 7 }, (_, index) => ({ ...newUser(), createdAt: at([2, 0, 1, 0, 2, 0, 1][index]!) }));
    for (const user of users) await store.insertUser(user);
    const expected = [...users].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)).map((user) => user.id);

    for (const pageSize of [1, 2, 3, 7, 8]) {
      const seen: string[] = [];
      for await (const user of exportUsers(store, pageSize)) seen.push(user.id);
      expect(seen).toEqual(expected);
    }
  });

  it('asks for one page at a time, never more than a page in hand', async () => {
    store = await openStore({ engine: 'sqlite', path: ':memory:' });
    await store.migrate();
    for (let index = 0; index < 5; index += 1) await store.insertUser({ ...newUser(), createdAt: at(index) });
    const limits: number[] = [];
    const counting = { listUsers: (query: Parameters<EngineStore['listUsers']>[0]) => (limits.push(query.limit), store.listUsers(query)) };
    const walk = exportUsers(counting, 2);
    await walk.next();
    expect(limits).toEqual([2]);
    let rest = 0;
    for await (const _user of walk) rest += 1;
    expect(rest).toBe(4);
    // 2, 2, then 1: a short page ends the walk without another query.
    expect(limits).toEqual([2, 2, 2]);
  });

  it('exports nothing from an empty database', async () => {
    store = await openStore({ engine: 'sqlite', path: ':memory:' });
    await store.migrate();
    const seen = [];
    for await (const user of exportUsers(store)) seen.push(user);
    expect(seen).toEqual([]);
  });
});
