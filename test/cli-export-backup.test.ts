import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash, type Algorithm } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId, generateSecret, hashSecret } from '../src/core/secrets.js';
import type { User } from '../src/core/store.js';
import { openStore, type EngineStore } from '../src/store/open-store.js';
import { passwordFormatOf } from '../src/core/user-export.js';
import { ALL_ENGINES, createTestDatabase, describeEngines, TEST_ENGINES, type TestDatabase } from './support/databases.js';
import { LEGACY_SQLITE, sqliteHashes } from './support/legacy-fixtures.js';
import { NO_ORIGIN, newSession, newUser, T0 } from './support/rows.js';
import { runCli, startServer } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

const FORMAT_KEYS = ['format', 'id', 'email', 'password_hash', 'password_format', 'normalization', 'claims', 'created_at', 'updated_at', 'disabled_at'];
const time = (ms: number) => new Date(T0 + ms);

/** Every line of an export, parsed: each must be one JSON object. */
function parseLines(text: string): Array<Record<string, unknown>> {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'sesame-export-'));
}

describeEngines(ALL_ENGINES, 'sesame export on %s', (engine) => {
  let database: TestDatabase;
  let store: EngineStore;
  const users: User[] = [];
  // Secrets of sessions, tokens and keys, none of which an export may show.
  const secrets: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.config);
    await store.migrate();
    const unicode: User = {
      ...newUser('Zoë.Ünïcode@例え.テスト'),
      password: { hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', normalization: 'nfkc' },
      claims: { role: 'admin', tenants: ['a', 'é'], nested: { level: 2, on: true } },
      createdAt: time(1_001),
      updatedAt: time(2_002),
    };
    const legacy: User = { ...newUser('Bob.Smith@Example.COM'), password: { hash: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', normalization: 'none' }, createdAt: time(3_003), updatedAt: time(3_003) };
    const emptyClaims: User = { ...newUser('"quoted"+tag@x.io'), claims: {}, createdAt: time(4_004), updatedAt: time(4_004) };
    for (const user of [unicode, legacy, emptyClaims]) await store.insertUser(user);
    await store.updateUser(legacy.id, { disabledAt: time(5_005) }, time(5_005));
    users.push(unicode, { ...legacy, disabledAt: time(5_005), updatedAt: time(5_005) }, emptyClaims);

    const cookie = newSession(unicode, 'cookie', { expiresAt: new Date(Date.now() + 3_600_000) });
    const token = newSession(unicode, 'token', { expiresAt: new Date(Date.now() + 3_600_000) });
    for (const session of [cookie, token]) {
      await store.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null });
    }
    const reset = hashSecret(generateSecret());
    await store.saveResetToken({ userId: emptyClaims.id, tokenHash: reset, createdAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000) });
    const privateMaterial = `-----BEGIN PRIVATE KEY-----${generateSecret()}`;
    await store.insertKey({ kid: generateId(), purpose: 'signing', position: 1, algorithm: 'EdDSA', publicJwk: '{"kty":"OKP"}', privateMaterial, createdAt: new Date() });
    secrets.push(cookie.id, cookie.tokenHash!, token.id, token.refreshHash!, reset, privateMaterial);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('writes every user to stdout, one JSON object a line, oldest first, every field as stored', async () => {
    const { code, stdout, stderr } = await runCli(['export', '--database', database.url]);
    expect(code).toBe(0);
    const lines = parseLines(stdout);
    for (const line of lines) expect(Object.keys(line)).toEqual(FORMAT_KEYS);
    expect(lines).toEqual([
      {
        format: 'sesame-users/1',
        id: users[0]!.id,
        email: 'Zoë.Ünïcode@例え.テスト',
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
        password_format: 'argon2id',
        normalization: 'nfkc',
        claims: { role: 'admin', tenants: ['a', 'é'], nested: { level: 2, on: true } },
        created_at: '2026-01-01T00:00:01.001Z',
        updated_at: '2026-01-01T00:00:02.002Z',
        disabled_at: null,
      },
      {
        format: 'sesame-users/1',
        id: users[1]!.id,
        email: 'Bob.Smith@Example.COM',
        password_hash: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
        password_format: 'bcrypt',
        normalization: 'none',
        claims: null,
        created_at: '2026-01-01T00:00:03.003Z',
        updated_at: '2026-01-01T00:00:05.005Z',
        disabled_at: '2026-01-01T00:00:05.005Z',
      },
      {
        format: 'sesame-users/1',
        id: users[2]!.id,
        email: '"quoted"+tag@x.io',
        password_hash: users[2]!.password.hash,
        // The test rows' hash has the shape of argon2id but no digest: nothing the log-in could verify.
        password_format: 'unknown',
        normalization: 'none',
        claims: {},
        created_at: '2026-01-01T00:00:04.004Z',
        updated_at: '2026-01-01T00:00:04.004Z',
        disabled_at: null,
      },
    ]);
    // Raw UTF-8, not \u escapes: the file reads as the emails were written.
    expect(stdout).toContain('Zoë.Ünïcode@例え.テスト');
    for (const secret of secrets) expect(stdout).not.toContain(secret);
    expect(stderr).toContain('"users":3');
  });

  it('writes to a new owner-only file with --output, and replaces one only with --force', async () => {
    const path = join(folder(), 'users.jsonl');
    const fromStdout = (await runCli(['export', '--database', database.url])).stdout;
    const written = await runCli(['export', '--database', database.url, '--output', path]);
    expect(written).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(path, 'utf8')).toBe(fromStdout);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    writeFileSync(path, 'keep me\n');
    const refused = await runCli(['export', '--database', database.url, '--output', path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${path} exists: add --force to replace it`);
    expect(readFileSync(path, 'utf8')).toBe('keep me\n');

    expect((await runCli(['export', '--database', database.url, '--output', path, '--force'])).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(fromStdout);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // No temporary file stays behind.
    expect(readdirSync(join(path, '..'))).toEqual(['users.jsonl']);
  });
});

describe('sesame export of many users', () => {
  it('exports each user exactly once across many pages, users created at the same instant included', async () => {
    const path = tempDatabasePath();
    const store = await openStore({ engine: 'sqlite', path });
    await store.migrate();
    // 1,234 users on 7 instants: pages of 500 end among users created together.
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: 1_234 }, (_, index) => {
        const user = { ...newUser(`user${index}@x.io`), createdAt: time(index % 7) };
        ids.add(user.id);
        return store.insertUser(user);
      }),
    );
    await store.close();
    const { code, stdout } = await runCli(['export', '--database', `sqlite:${path}`]);
    expect(code).toBe(0);
    const lines = parseLines(stdout);
    expect(lines).toHaveLength(1_234);
    expect(new Set(lines.map((line) => line.id))).toEqual(ids);
    const order = lines.map((line) => `${line.created_at as string} ${line.id as string}`);
    expect(order).toEqual([...order].sort());
  });
});

describe('sesame backup', () => {
  it('copies a live database under a steady load of registrations: the copy is whole and holds every user acknowledged before it began', async () => {
    const path = tempDatabasePath();
    // Enough rows that the copy takes many pages (SQLite copies 4 KiB pages).
    const seed = await openStore({ engine: 'sqlite', path });
    await seed.migrate();
    await Promise.all(Array.from({ length: 5_000 }, (_, index) => seed.insertUser({ ...newUser(`seed${index}@x.io`), createdAt: time(index) })));
    await seed.close();

    const server = await startServer({
      database: `sqlite:${path}`,
      env: { SESAME_ARGON2_MEMORY_KIB: '64', SESAME_ARGON2_ITERATIONS: '1', SESAME_HASH_QUEUE_LIMIT: '1000', SESAME_LIMIT_CLIENT_REGISTRATIONS: '1000000' },
    });
    const acknowledged: string[] = [];
    const failures: string[] = [];
    let writing = true;
    const writer = async (lane: number) => {
      for (let index = 0; writing && failures.length === 0; index += 1) {
        const email = `load-${lane}-${index}@x.io`;
        const response = await fetch(`${server.url}/users`, { method: 'POST', body: new URLSearchParams({ email, password: 'pw' }) });
        if (response.status === 200) acknowledged.push(email);
        else failures.push(`${response.status} ${await response.text()}`);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const waitForAcknowledged = async (count: number) => {
      while (acknowledged.length < count) {
        if (failures.length > 0) throw new Error(`a registration failed: ${failures[0]}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await waitForAcknowledged(50);
      const before = [...acknowledged];
      const copy = join(folder(), 'backup.db');
      const backup = await runCli(['backup', copy, '--database', `sqlite:${path}`]);
      const during = acknowledged.length - before.length;
      // Some more writes after the copy, so that the server is seen to carry on.
      const after = acknowledged.length;
      await waitForAcknowledged(after + 10);
      writing = false;
      await Promise.all(writers);

      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toMatch(new RegExp(`^Backed up .* to ${copy} \\(\\d+ pages\\)\\.\\n$`));
      expect(during).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      expect(statSync(copy).mode & 0o777).toBe(0o600);

      const opened = new Database(copy, { readonly: true, fileMustExist: true });
      try {
        expect(opened.pragma('integrity_check', { simple: true })).toBe('ok');
        const keys = new Set((opened.prepare('select email_key from users').pluck().all() as string[]));
        expect(keys.size).toBeGreaterThanOrEqual(5_000 + before.length);
        expect(before.filter((email) => !keys.has(email))).toEqual([]);
        expect(keys.has('seed4999@x.io')).toBe(true);
      } finally {
        opened.close();
      }
    } finally {
      writing = false;
      await Promise.all(writers);
      await server.stop();
    }
  });

  it('writes a new file only, replaces one with --force, and leaves nothing half-written behind', async () => {
    const path = tempDatabasePath();
    const store = await openStore({ engine: 'sqlite', path });
    await store.migrate();
    await store.insertUser(newUser('only@x.io'));
    await store.close();
    const where = folder();
    const copy = join(where, 'copy.db');
    writeFileSync(copy, 'not a database');

    const refused = await runCli(['backup', copy, '--database', `sqlite:${path}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${copy} exists: add --force to replace it`);
    expect(readFileSync(copy, 'utf8')).toBe('not a database');

    expect((await runCli(['backup', copy, '--force', '--database', `sqlite:${path}`])).code).toBe(0);
    expect(readdirSync(where)).toEqual(['copy.db']);
    const opened = new Database(copy, { readonly: true });
    expect(opened.prepare('select email from users').pluck().all()).toEqual(['only@x.io']);
    opened.close();
    expect(statSync(copy).mode & 0o777).toBe(0o600);
  });

  it('refuses a missing database, and the database itself as the copy', async () => {
    const where = folder();
    const missing = await runCli(['backup', join(where, 'copy.db'), '--database', `sqlite:${join(where, 'none.db')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`There is no database at ${join(where, 'none.db')} to back up.`);
    expect(existsSync(join(where, 'none.db'))).toBe(false);

    const path = tempDatabasePath();
    expect((await runCli(['migrate', '--database', `sqlite:${path}`])).code).toBe(0);
    const itself = await runCli(['backup', path, '--force', '--database', `sqlite:${path}`]);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toContain('The backup must be another file than the database.');
  });

  it("points to the engine's own tool for PostgreSQL and MariaDB, without connecting", async () => {
    const where = folder();
    // Nothing listens on port 1: the command must answer without trying.
    const postgres = await runCli(['backup', join(where, 'x.db'), '--database', 'postgres://u:p@127.0.0.1:1/sesame']);
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toContain('sesame backup copies SQLite databases only. For PostgreSQL: pg_dump');
    const mariadb = await runCli(['backup', join(where, 'x.db'), '--database', 'mysql://u:p@127.0.0.1:1/sesame']);
    expect(mariadb.code).toBe(2);
    expect(mariadb.stderr).toContain('mariadb-dump --single-transaction');
    expect(readdirSync(where)).toEqual([]);
  });

  it('warns in its help that the copy holds the private keys unless they are encrypted', async () => {
    const help = await runCli(['backup', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('unless SESAME_KEY_ENCRYPTION_KEY is set');
    expect(help.stdout).toContain('the private signing keys in the clear');
    const usage = await runCli(['--help']);
    expect(usage.stdout).toContain('export [options] ');
    expect(usage.stdout).toContain('backup [options] <file> ');
  });
});

// Issue 21: an export imported into an empty database is an exact round trip, on every engine.
describe.skipIf(!ALL_ENGINES.every((engine) => TEST_ENGINES.includes(engine)))('sesame export, then sesame import, SQLite → PostgreSQL → MariaDB → SQLite', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it('brings every user back exactly: ids, emails, hashes of every format, normalisation, claims, times, disabled', async () => {
    const hashOf = (file: (typeof LEGACY_SQLITE)[number]['file'], format: string) =>
      sqliteHashes(LEGACY_SQLITE.find((fixture) => fixture.file === file)!).find(({ hash }) => passwordFormatOf(hash) === format)!.hash;
    const argon2id = await hash('a password', { algorithm: 2 as Algorithm, memoryCost: 64, timeCost: 1, parallelism: 1 });
    const users: User[] = [
      { ...newUser('Zoë.Ünïcode@例え.テスト'), password: { hash: argon2id, normalization: 'nfkc' }, claims: { role: 'admin', nested: { tenants: ['a', 'é'] } }, createdAt: time(1_001), updatedAt: time(2_002) },
      { ...newUser('Bob.Smith@Example.COM'), password: { hash: hashOf('holberton-flask-sqlalchemy.db', 'bcrypt'), normalization: 'none' }, createdAt: time(3_003), updatedAt: time(5_005), disabledAt: time(5_005) },
      { ...newUser('course@x.io'), password: { hash: hashOf('flask-jwt-course.db', 'passlib-pbkdf2-sha256'), normalization: 'none' }, claims: {}, createdAt: time(4_004), updatedAt: time(4_004) },
      { ...newUser('scrypt@x.io'), password: { hash: hashOf('werkzeug-3.1.8-hashes.db', 'werkzeug-scrypt'), normalization: 'none' }, createdAt: time(4_004), updatedAt: time(6_006) },
    ];
    const chain = await Promise.all((['sqlite', 'postgres', 'mysql', 'sqlite'] as const).map((engine) => createTestDatabase(engine)));
    databases.push(...chain);
    const first = await openStore(chain[0]!.config);
    await first.migrate();
    for (const user of users) await first.insertUser(user);
    await first.close();

    const scratch = folder();
    const exports: string[] = [];
    for (const [index, database] of chain.entries()) {
      if (index > 0) {
        const imported = await runCli(['import', join(scratch, `${index - 1}.jsonl`), '--database', database.url, '--report', join(scratch, `${index}-report.jsonl`)]);
        expect(imported.code, imported.stderr).toBe(0);
      }
      const exported = await runCli(['export', '--database', database.url, '--output', join(scratch, `${index}.jsonl`)]);
      expect(exported.code, exported.stderr).toBe(0);
      exports.push(readFileSync(join(scratch, `${index}.jsonl`), 'utf8'));
    }
    expect(parseLines(exports[0]!)).toHaveLength(users.length);
    expect(exports.slice(1)).toEqual(exports.slice(1).map(() => exports[0]));
    const last = await openStore(chain[3]!.config);
    try {
      for (const user of users) expect(await last.findUserByEmailKey(user.emailKey)).toEqual(user);
    } finally {
      await last.close();
    }
  });
});
