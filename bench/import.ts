import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { generateId } from '../src/core/secrets.js';
import { MAIN_JS, runCli } from './processes.js';
import type { Figure } from './report.js';

/**
 * The import's figures (issue 21): `sesame import` of `count` users from a SQLite file of the
 * Holberton layout into SQLite and into PostgreSQL, beside a plain batched insert of the same
 * rows in the same run (the limit: read the file, insert 1000 rows per statement and
 * transaction, nothing checked), and the importer's peak resident memory.
 */
export async function importFigures(options: {
  readonly scratch: string;
  readonly count: number;
  /** A PostgreSQL server to create the target databases on, or null to leave PostgreSQL out. */
  readonly postgresUrl: string | null;
  readonly log: (line: string) => void;
}): Promise<Figure[]> {
  const { scratch, count, log } = options;
  const source = join(scratch, 'import-source.db');
  const seededAt = Date.now();
  seedSource(source, count);
  log(`import: a source of ${count} users written in ${((Date.now() - seededAt) / 1000).toFixed(1)} s`);
  const targets: Array<{ engine: string; url: (name: string) => Promise<string>; drop: (name: string) => Promise<void> }> = [
    { engine: 'sqlite', url: (name) => Promise.resolve(`sqlite:${join(scratch, `${name}.db`)}`), drop: () => Promise.resolve() },
  ];
  const server = options.postgresUrl;
  if (server !== null) {
    targets.push({
      engine: 'postgres',
      url: async (name) => {
        await onPostgres(server, [`drop database if exists ${name}`, `create database ${name}`]);
        const url = new URL(server);
        url.pathname = `/${name}`;
        return url.toString();
      },
      drop: (name) => onPostgres(server, [`drop database if exists ${name} with (force)`]),
    });
  }
  const figures: Figure[] = [];
  for (const target of targets) {
    const plainUrl = await target.url('sesame_bench_plain_insert');
    await runCli(['migrate', '--database', plainUrl]);
    const plainSeconds = await plainInsert(source, plainUrl);
    await target.drop('sesame_bench_plain_insert');
    const importUrl = await target.url('sesame_bench_import');
    await runCli(['migrate', '--database', importUrl]);
    const { seconds, peakRssMb } = await timedImport(source, importUrl, join(scratch, 'import-report.jsonl'));
    await target.drop('sesame_bench_import');
    const [rate, limit] = [count / seconds, count / plainSeconds];
    log(`import into ${target.engine}: ${Math.round(rate)}/s, plain insert ${Math.round(limit)}/s, peak RSS ${peakRssMb.toFixed(0)} MB`);
    const ratio = rate / limit;
    figures.push(
      { name: `import ${count.toLocaleString('en')} users, SQLite → ${target.engine}`, value: `${Math.round(rate).toLocaleString('en')}/s`, limit: `${Math.round(limit).toLocaleString('en')}/s`, samples: [ratio], median: ratio, target: '≥ 0.5', isMet: ratio >= 0.5 },
      { name: `import into ${target.engine}: importer peak RSS`, value: `${peakRssMb.toFixed(0)} MB`, limit: '–', samples: [peakRssMb], median: peakRssMb, target: '< 200 MB', isMet: peakRssMb < 200 },
    );
  }
  return figures;
}

// A bcrypt hash of the cost the Holberton app used: the import checks its shape, never its password.
const HASH = '$2b$12$LyTKWMwd0AXSdg09Vdv2t.fNXsn9soQDPLjUG0L0yCPODVHF2Ap7S';

function seedSource(path: string, count: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = off');
  db.pragma('synchronous = off');
  db.exec('drop table if exists users; create table users (id integer not null primary key, email varchar(250) not null, hashed_password varchar(250) not null, session_id varchar(250), reset_token varchar(250))');
  const insert = db.prepare('insert into users values (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let id = 1; id <= count; id += 1) insert.run(id, `User${id}@Example.com`, HASH, id % 10 === 0 ? generateId() : null, null);
  })();
  db.close();
}

const COLUMNS = ['id', 'email', 'email_key', 'password_hash', 'password_normalization', 'password_version', 'claims', 'created_at', 'updated_at', 'disabled_at', 'last_login_at'];
const BATCH = 1000;

/** The limit: the same rows, read the same way, written 1000 to a statement and a transaction by the bare driver. */
async function plainInsert(source: string, url: string): Promise<number> {
  const started = performance.now();
  const db = new Database(source, { readonly: true });
  const rowOf = (row: { email: string }) => {
    const now = Date.now();
    return [generateId(), row.email, row.email.trim().toLowerCase(), HASH, 'none', 0, null, now, now, null, null];
  };
  const rows = db.prepare('select id, email, hashed_password, session_id, reset_token from users order by id').iterate() as Iterable<{ email: string }>;
  if (url.startsWith('sqlite:')) {
    const target = new Database(url.slice('sqlite:'.length));
    target.pragma('journal_mode = wal');
    target.pragma('synchronous = full');
    const insertMany = (rowCount: number) =>
      target.prepare(`insert into users (${COLUMNS.join(', ')}) values ${Array.from({ length: rowCount }, () => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')}`);
    const full = insertMany(BATCH);
    let batch: unknown[] = [];
    for (const row of rows) {
      batch.push(...rowOf(row));
      if (batch.length === BATCH * COLUMNS.length) {
        target.transaction(() => full.run(batch))();
        batch = [];
      }
    }
    if (batch.length > 0) target.transaction(() => insertMany(batch.length / COLUMNS.length).run(batch))();
    target.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let batch: unknown[][] = [];
    const flush = async () => {
      const values = batch.map((_, row) => `(${COLUMNS.map((__, column) => `$${row * COLUMNS.length + column + 1}`).join(', ')})`).join(', ');
      await client.query(`insert into users (${COLUMNS.join(', ')}) values ${values}`, batch.flat());
      batch = [];
    };
    for (const row of rows) {
      batch.push(rowOf(row));
      if (batch.length === BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    await client.end();
  }
  db.close();
  return (performance.now() - started) / 1000;
}

/**
 * Runs `sesame import` as its own process as an operator runs it (`node dist/sesame.cjs
 * import`, which is what the bin runs: no V8 flags), sampling its peak resident memory
 * (VmHWM) as it goes.
 */
function timedImport(source: string, url: string, report: string): Promise<{ seconds: number; peakRssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN_JS, 'import', source, '--database', url, '--report', report], { stdio: ['ignore', 'ignore', 'inherit'] });
  let peakKb = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // Gone between two samples: its last peak is already read.
    }
  };
  const sampler = setInterval(sample, 50);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`sesame import exited with ${code}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakRssMb: peakKb / 1024 });
    });
  });
}

async function onPostgres(url: string, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
