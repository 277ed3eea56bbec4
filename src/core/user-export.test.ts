import { afterEach, describe, expect, it } from 'vitest';
import { at, newUser } from '../../test/support/rows.js';
import { openStore, type EngineStore } from '../store/open-store.js';
import type { User } from './store.js';
import { exportUsers, passwordFormatOf, toExportedUser } from './user-export.js';

describe('passwordFormatOf', () => {
  it('names each scheme by its prefix, and anything else unknown', () => {
    const cases: Array<[string, string]> = [
      ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'argon2id'],
      ['$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA', 'argon2i'],
      ['$argon2d$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA', 'argon2d'],
      ['$2a$10$abcdefghijklmnopqrstuu', 'bcrypt'],
      ['$2b$12$abcdefghijklmnopqrstuu', 'bcrypt'],
      ['$2y$04$abcdefghijklmnopqrstuu', 'bcrypt'],
      ['$pbkdf2-sha256$29000$c2FsdA$aGFzaA', 'pbkdf2-sha256'],
      ['$pbkdf2-sha512$25000$c2FsdA$aGFzaA', 'pbkdf2-sha512'],
      ['pbkdf2:sha256:260000$salt$hex', 'werkzeug-pbkdf2-sha256'],
      ['scrypt:32768:8:1$salt$hex', 'werkzeug-scrypt'],
      ['pbkdf2_sha256$600000$salt$hash', 'django-pbkdf2-sha256'],
      ['$2x$10$abcdefghijklmnopqrstuu', 'unknown'],
      ['plain-text', 'unknown'],
      ['', 'unknown'],
    ];
    expect(cases.map(([hash]) => passwordFormatOf(hash))).toEqual(cases.map(([, format]) => format));
  });
});

describe('toExportedUser', () => {
  it('writes exactly the format keys, in order, with times in UTC to the millisecond', () => {
    const user: User = {
      ...newUser('Zoë@Example.org'),
      password: { hash: '$2b$12$abcdefghijklmnopqrstuu', normalization: 'nfkc' },
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
        password_hash: '$2b$12$abcdefghijklmnopqrstuu',
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
