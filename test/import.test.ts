import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport, type ImportSettings, type ImportSummary } from '../src/import/importer.js';
import { openSource } from '../src/import/open-source.js';
import { CHUNK_ROWS, type Source } from '../src/import/source.js';
import { openStore, type EngineStore } from '../src/store/open-store.js';
import { ALL_ENGINES, createTestDatabase, describeEngines, storePerTest, type Engine, type TestDatabase } from './support/databases.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { LEGACY_ACCOUNTS, LEGACY_DIR, PYTHON_JWT_AUTH_DUMP, type LegacyAccount } from './support/legacy-fixtures.js';
import { runCli } from './support/server-process.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { testConfig } from './support/test-config.js';

const settings: ImportSettings = { update: false, dryRun: false, usernameDomain: null, batchSize: 1000, now: () => new Date('2026-12-06T00:00:00Z') };
const tempDir = () => mkdtempSync(join(tmpdir(), 'sesame-import-'));

/** Runs an import of `spec` into `store`, with the report lines collected. */
async function importInto(store: EngineStore, spec: string | Source, overrides: Partial<ImportSettings> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const source = typeof spec === 'string' ? await openSource(spec, {}) : spec;
  try {
    const summary = await runImport(source, store, { ...settings, ...overrides }, { write: (line) => lines.push(line) });
    return { summary, lines };
  } finally {
    await source.close();
  }
}

/** Loads python-jwt-auth's dump into a fresh MariaDB database, as the app's own server held it. */
async function loadDump(): Promise<TestDatabase> {
  const database = await createTestDatabase('mysql');
  const connection = await createConnection({ uri: database.url, multipleStatements: true });
  try {
    // The first line is MariaDB's sandbox marker, which only its own client understands.
    await connection.query(readFileSync(PYTHON_JWT_AUTH_DUMP, 'utf8').split('\n').slice(1).join('\n'));
  } finally {
    await connection.end();
  }
  return database;
}

const byKey = (key: string) => LEGACY_ACCOUNTS.find((account) => account.key === key)!;
// Every fixture holds all 13 accounts but bob_lower's, which collides with (or, in
// python-jwt-auth, was refused as) bob_mixed's email key.
const IMPORTED = LEGACY_ACCOUNTS.filter((account) => account.key !== 'bob_lower');

async function logIn(harness: AppHarness, email: string, password: string): Promise<number> {
  const response = await harness.app.inject({ method: 'POST', url: '/sessions', payload: { email, password } });
  return response.statusCode;
}

/** Logs every imported account in through the HTTP API, refuses a wrong password, and checks each hash became argon2id. */
async function logEveryoneIn(database: TestDatabase, accounts: readonly LegacyAccount[]): Promise<void> {
  const harness = await createAppHarness(testConfig({ database: database.config }));
  try {
    // Wrong in the first byte: a wrong tail past 72 bytes would pass bcrypt, as it did the original.
    const wrong = await Promise.all(accounts.map((account) => logIn(harness, account.email, `X${account.password}`)));
    expect(wrong).toEqual(accounts.map(() => 401));
    const right = await Promise.all(accounts.map((account) => logIn(harness, account.email, account.password)));
    expect(Object.fromEntries(accounts.map((account, i) => [account.key, right[i]]))).toEqual(Object.fromEntries(accounts.map((account) => [account.key, 200])));
    for (const account of accounts) {
      const user = await harness.store.findUserByEmailKey(account.email.toLowerCase());
      expect(user?.password.hash, account.key).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    }
    // The argon2id hash covers the whole password: bcrypt's ignored tail counts from now on.
    const dave = byKey('dave');
    if (accounts.includes(dave)) expect(await logIn(harness, dave.email, dave.password.slice(0, 72))).toBe(401);
    // And the new hash verifies as the old did.
    expect(await logIn(harness, accounts[0]!.email, accounts[0]!.password)).toBe(200);
  } finally {
    await harness.close();
  }
}

function expectFixtureSummary(summary: ImportSummary, format: string, rows: number): void {
  expect(summary).toMatchObject({ read: rows, inserted: 12, updated: 0, skipped: 0, rejected: rows - 12, stopped: null });
  expect(Object.keys(summary.formats).sort()).toEqual(format.split(',').sort());
}

const SQLITE_FIXTURES = [
  { file: 'holberton-flask-sqlalchemy.db', formats: 'bcrypt' },
  { file: 'flask-jwt-course.db', formats: 'passlib-pbkdf2-sha256' },
  { file: 'werkzeug-hashes.db', formats: 'werkzeug-pbkdf2-sha256' },
  { file: 'werkzeug-3.1.8-hashes.db', formats: 'werkzeug-pbkdf2-sha256,werkzeug-scrypt' },
];

describeEngines(ALL_ENGINES, 'import of the legacy fixtures into %s', (engine: Engine) => {
  const current = storePerTest(engine);

  it.each(SQLITE_FIXTURES)('imports $file; every account logs in with its password and no other', async ({ file, formats }) => {
    const { summary, lines } = await importInto(current.store, join(LEGACY_DIR, file));
    expectFixtureSummary(summary, formats, 13);
    expect(lines).toEqual([{ row: 3, ref: 'id=3', login: 'bob.smith@example.com', reason: 'email_collision', detail: 'the same email key as row 2, which was kept' }]);
    if (file.startsWith('holberton')) expect(summary).toMatchObject({ droppedSessions: 2, droppedResetTokens: 2 });
    await logEveryoneIn(current.database, IMPORTED);
  });

  describeEngines(['mysql'], 'from MariaDB', () => {
    it("imports python-jwt-auth's dump through a mysql:// URL; every account logs in", async () => {
      const source = await loadDump();
      try {
        const { summary, lines } = await importInto(current.store, source.url);
        expectFixtureSummary(summary, 'bcrypt', 12);
        expect(lines).toEqual([]);
        const alice = await current.store.findUserByEmailKey('alice@example.com');
        // registration_timestamp, a MariaDB DATETIME in UTC, becomes the creation time.
        expect(alice?.createdAt).toEqual(new Date('2026-12-04T19:00:29Z'));
      } finally {
        await source.drop();
      }
      await logEveryoneIn(current.database, IMPORTED);
    });
  });
});

describeEngines(['postgres'], 'import from %s', () => {
  let source: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase('postgres');
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    const legacy = new Database(join(LEGACY_DIR, 'holberton-flask-sqlalchemy.db'), { readonly: true });
    // The Holberton table, with hashes as bytea: the BLOB that many copies of the app stored.
    await client.query('create table users (id integer primary key, email varchar(250) not null, hashed_password bytea not null, session_id varchar(250), reset_token varchar(250))');
    for (let round = 0; round < 5; round += 1) {
      for (const row of legacy.prepare('select * from users').all() as Array<Record<string, string | number | null>>) {
        const email = round === 0 ? row.email : `r${round}.${String(row.email)}`;
        await client.query('insert into users values ($1, $2, $3, $4, $5)', [Number(row.id) + round * 100, email, Buffer.from(String(row.hashed_password)), row.session_id, row.reset_token]);
      }
    }
    legacy.close();
    await client.end();
  });
  afterAll(() => source?.drop());

  it('reads a postgres:// URL through a cursor, bytea hashes as their text', async () => {
    const target = await createTestDatabase('sqlite');
    const store = await openStore(target.config);
    await store.migrate();
    try {
      const { summary } = await importInto(store, source.url);
      expect(summary).toMatchObject({ read: 65, inserted: 60, rejected: 5, droppedSessions: 10, stopped: null });
    } finally {
      await store.close();
    }
    await logEveryoneIn(target, [byKey('alice'), byKey('judy'), byKey('oscar')]);
  });

  it('stops when the source goes away mid-import, leaving whole batches only, and a re-run finishes it', async () => {
    const target = await createTestDatabase('sqlite');
    const store = await openStore(target.config);
    await store.migrate();
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(source.url).port || 5432));
    try {
      const opened = await openSource(proxy.through(source.url), {});
      let chunks = 0;
      // One fetch of 1000 rows holds everything here: the wrapper passes on the first 20 as
      // though they were all, then cuts the connection under the next fetch.
      const cutting: Source = {
        ...opened,
        chunks: (async function* () {
          for await (const chunk of opened.chunks) {
            chunks += 1;
            yield chunk.slice(0, 20);
            await proxy.cut();
          }
        })(),
      };
      const { summary, lines } = await importInto(store, cutting, { batchSize: 8 });
      expect(chunks).toBe(1);
      // 20 rows read, rows 3 and 16 collisions: two batches of 8 written (to row 18), rows 19 and 20 dropped.
      expect(summary.stopped).toMatchObject({ afterRow: 18 });
      expect(summary).toMatchObject({ read: 20, inserted: 16, rejected: 2 });
      expect(lines.at(-1)).toMatchObject({ stopped: { afterRow: 18 } });
      expect((await store.listUsers({ order: 'oldest', after: null, emailKeyPrefix: null, disabled: null, limit: 100 })).length).toBe(16);
      const rerun = await importInto(store, source.url);
      expect(rerun.summary).toMatchObject({ inserted: 44, skipped: 16, rejected: 5, stopped: null });
    } finally {
      await proxy.stop();
      await store.close();
    }
  });
});

describe('import rules, on SQLite', () => {
  const current = storePerTest('sqlite');

  const holberton = join(LEGACY_DIR, 'holberton-flask-sqlalchemy.db');

  it('is idempotent: a re-run skips what is in and rejects the same collision again', async () => {
    await importInto(current.store, holberton);
    const { summary, lines } = await importInto(current.store, holberton);
    expect(summary).toMatchObject({ read: 13, inserted: 0, skipped: 12, rejected: 1, stopped: null });
    expect(lines).toMatchObject([{ row: 3, reason: 'email_collision' }]);
  });

  it('with update, replaces the hash and email of users already there; a dry run writes nothing', async () => {
    await importInto(current.store, join(LEGACY_DIR, 'werkzeug-hashes.db'));
    const dry = await importInto(current.store, holberton, { update: true, dryRun: true });
    expect(dry.summary).toMatchObject({ updated: 12, inserted: 0 });
    expect((await current.store.findUserByEmailKey('alice@example.com'))?.password.hash).toMatch(/^pbkdf2:sha256:260000\$/);
    const { summary } = await importInto(current.store, holberton, { update: true });
    expect(summary).toMatchObject({ updated: 12, inserted: 0, skipped: 0 });
    expect(await current.store.findUserByEmailKey('alice@example.com')).toMatchObject({ passwordVersion: 1, password: { hash: expect.stringMatching(/^\$2b\$12\$/) as unknown } });
    const fresh = await createTestDatabase('sqlite');
    const empty = await openStore(fresh.config);
    await empty.migrate();
    expect((await importInto(empty, holberton, { dryRun: true })).summary).toMatchObject({ inserted: 12 });
    expect(await empty.findUserByEmailKey('alice@example.com')).toBeNull();
    await empty.close();
  });

  it('takes a BLOB hash as its ASCII text', async () => {
    const path = join(tempDir(), 'blob.db');
    copyFileSync(holberton, path);
    const db = new Database(path);
    db.exec('update users set hashed_password = cast(hashed_password as blob)');
    expect(db.prepare('select distinct typeof(hashed_password) as type from users').all()).toEqual([{ type: 'blob' }]);
    db.close();
    const { summary } = await importInto(current.store, path);
    expect(summary).toMatchObject({ inserted: 12, rejected: 1, formats: { bcrypt: 12 } });
    await logEveryoneIn(current.database, [byKey('alice'), byKey('judy'), byKey('oscar')]);
  });

  it('rejects malformed rows, each with its reason, flags weak hashes, and imports the rest', async () => {
    const { default: bcrypt } = await import('bcrypt');
    const weak = await bcrypt.hash('weak pw', 4);
    const path = join(tempDir(), 'users.jsonl');
    const good = (email: string, hash = weak) => JSON.stringify({ email, password_hash: hash });
    writeFileSync(
      path,
      [
        good('first@x.io'),
        'not json',
        '[1, 2]',
        '',
        JSON.stringify({ email: 'nohash@x.io', password_hash: null }),
        good('plain@x.io', 'hunter2'),
        good('md5@x.io', '$1$abc$abcdefghijklmnopqrstuv'),
        good('dos@x.io', `$2b$31$${'a'.repeat(53)}`),
        good('ctl\u0001@x.io'),
        good(''),
        good('FIRST@x.io'),
        good('alice'),
        JSON.stringify({ id: 'short', email: 'exported@x.io', password_hash: weak, password_format: 'bcrypt', normalization: 'none' }),
      ].join('\n'),
    );
    const { summary, lines } = await importInto(current.store, path);
    expect(summary).toMatchObject({ read: 12, inserted: 2, rejected: 10, weak: 2, stopped: null });
    const reasons = lines.filter((line) => 'reason' in line).map(({ ref, reason }) => [ref, reason]);
    expect(reasons).toEqual([
      ['line 2', 'unreadable_row'],
      ['line 3', 'unreadable_row'],
      ['line 5', 'missing_hash'],
      ['line 6', 'unusable_hash'],
      ['line 7', 'unusable_hash'],
      ['line 8', 'unusable_hash'],
      ['line 9', 'invalid_login'],
      ['line 10', 'missing_login'],
      ['line 11', 'email_collision'],
      ['id=short', 'invalid_row'],
    ]);
    expect(lines.filter((line) => line.flag === 'weak_hash')).toMatchObject([
      { row: 1, format: 'bcrypt', params: { cost: 4 } },
      { row: 11, format: 'bcrypt' },
    ]);
    expect(JSON.stringify(lines)).not.toContain(weak);
    // A username is the login as it stands, matched exactly as the course matched it: it signs
    // in through the course's own log-in, where the course's clients sent it.
    const harness = await createAppHarness(testConfig({ database: current.database.config, http: { apis: ['session', 'token', 'flask-jwt-course'] } }));
    try {
      const courseLogIn = (username: string) => harness.app.inject({ method: 'POST', url: '/login', payload: { username, password: 'weak pw' } });
      expect((await courseLogIn('alice')).statusCode).toBe(200);
      expect((await courseLogIn('ALICE')).statusCode).toBe(401);
      expect(await harness.store.findUserByEmailKey('alice')).toMatchObject({ email: 'alice' });
    } finally {
      await harness.close();
    }
  });

  it('creates a row without a time of its own when its chunk is read, in the source order', async () => {
    const path = join(tempDir(), 'users.jsonl');
    const hash = '$2b$12$LyTKWMwd0AXSdg09Vdv2t.fNXsn9soQDPLjUG0L0yCPODVHF2Ap7S';
    writeFileSync(path, Array.from({ length: CHUNK_ROWS + 1 }, (_, index) => `${JSON.stringify({ email: `user${index}@example.com`, password_hash: hash })}\n`).join(''));
    let tick = 0;
    const { summary } = await importInto(current.store, path, { now: () => new Date(Date.UTC(2026, 11, 6, 0, 0, (tick += 1))) });
    expect(summary).toMatchObject({ inserted: CHUNK_ROWS + 1 });
    const createdAt = async (email: string) => (await current.store.findUserByEmailKey(email))?.createdAt.getTime();
    expect(await createdAt('user0@example.com')).toBe(await createdAt(`user${CHUNK_ROWS - 1}@example.com`));
    expect(await createdAt(`user${CHUNK_ROWS}@example.com`)).toBeGreaterThan((await createdAt('user0@example.com'))!);
  });

  it('maps usernames to emails with a username domain', async () => {
    const path = join(tempDir(), 'course.db');
    const db = new Database(path);
    db.exec('create table users (id integer primary key, username varchar(80) not null unique, password varchar(80) not null)');
    const course = new Database(join(LEGACY_DIR, 'flask-jwt-course.db'), { readonly: true });
    const { password } = course.prepare("select password from users where username = 'carol@example.com'").get() as { password: string };
    course.close();
    db.prepare('insert into users values (1, ?, ?)').run('carol', password);
    db.close();
    const { summary } = await importInto(current.store, path, { usernameDomain: 'example.org' });
    expect(summary).toMatchObject({ inserted: 1 });
    expect(await current.store.findUserByEmailKey('carol@example.org')).toMatchObject({ email: 'carol@example.org' });
    await logEveryoneIn(current.database, [{ ...byKey('carol'), email: 'carol@example.org' }]);
  });

  it('reads CSV with a header, quoted fields included', async () => {
    const rows = new Database(holberton, { readonly: true }).prepare('select email, hashed_password from users where id in (1, 12)').all() as Array<{ email: string; hashed_password: string }>;
    const path = join(tempDir(), 'users.csv');
    writeFileSync(path, `\uFEFFname,email,password_hash\r\n${rows.map((row) => `"Smith, J ""x""",${row.email},${row.hashed_password}`).join('\r\n')}\r\n`);
    const { summary } = await importInto(current.store, path);
    expect(summary).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    await logEveryoneIn(current.database, [byKey('alice'), byKey('mallory')]);
  });

  it("keeps everything of Sesame's export format: ids, normalisation, claims, times, disabled", async () => {
    const { createPasswordHasher } = await import('../src/core/password-hasher.js');
    const hasher = createPasswordHasher({ memoryKib: 64, iterations: 1, parallelism: 1, concurrency: 2, queueLimit: 10 });
    const stored = await hasher.hash('\uFB01sh', 'nfkc');
    const line = {
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      email: 'Exported@x.io',
      password_hash: stored.hash,
      password_format: 'argon2id',
      normalization: 'nfkc',
      claims: { role: 'admin' },
      created_at: '2025-01-02T03:04:05.678Z',
      updated_at: '2025-02-02T03:04:05.678Z',
      disabled_at: '2025-03-02T03:04:05.678Z',
    };
    const path = join(tempDir(), 'export.jsonl');
    writeFileSync(path, `${JSON.stringify(line)}\n`);
    expect((await importInto(current.store, path)).summary).toMatchObject({ inserted: 1, formats: { argon2id: 1 } });
    expect(await current.store.findUserById(line.id)).toEqual({
      id: line.id,
      email: line.email,
      emailKey: 'exported@x.io',
      password: stored,
      passwordVersion: 0,
      claims: line.claims,
      createdAt: new Date(line.created_at),
      updatedAt: new Date(line.updated_at),
      disabledAt: new Date(line.disabled_at),
      lastLoginAt: null,
    });
  });
});

describe('sesame import', () => {
  it('imports, prints one summary line off a terminal, writes its report, and exits 0; a bad source exits 2', async () => {
    const dir = tempDir();
    const env = { SESAME_DATABASE_URL: `sqlite:${join(dir, 'sesame.db')}`, SESAME_LOG_LEVEL: 'silent' };
    const report = join(dir, 'report.jsonl');
    const run = await runCli(['import', join(LEGACY_DIR, 'holberton-flask-sqlalchemy.db'), '--report', report], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      '13 read; 12 imported; 0 updated; 0 skipped (already there); 1 rejected; hash formats: bcrypt 12; weak hashes: 0; dropped: 2 sessions, 2 reset tokens; report: ' + report,
    ]);
    const lines = readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ reason: 'email_collision' });
    expect(lines.at(-1)).toMatchObject({ summary: { inserted: 12 } });
    const noTable = await runCli(['import', join(LEGACY_DIR, 'holberton-flask-sqlalchemy.db'), '--table', 'people'], env, dir);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('has no table people');
    const missing = await runCli(['import', join(dir, 'nowhere.db')], env, dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot open');
  });
});
