import { createHash, randomBytes } from 'node:crypto';
import { hash, type Algorithm } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import pg from 'pg';

const BATCH = 5_000;
const SAMPLE = 1_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// Rows SQLite generates per statement when it seeds.
const SQLITE_BATCH = 50_000;
const idOf = (index: number) => String(index).padStart(22, '0');

/**
 * Fills a migrated database with `count` users and one cookie session each, by batched
 * inserts straight into Sesame's tables (one insert per batch, not one request per user). Every
 * user shares one cheap argon2id hash (64 KiB, 1 iteration): the scale figures are about
 * lookups, not hashing. Returns the session tokens of a sample of the sessions, spread over
 * the whole table, for the load to present.
 */
export async function seed(database: string, count: number, nowMs: number): Promise<string[]> {
  const passwordHash = await hash('bench password', { algorithm: 2 as Algorithm, memoryCost: 64, timeCost: 1, parallelism: 1 });
  const every = Math.max(1, Math.floor(count / SAMPLE));
  if (database.startsWith('sqlite:')) return seedSqlite(database.slice('sqlite:'.length), count, nowMs, passwordHash, every);
  const sample: string[] = [];
  // Randomness drawn a batch at a time: a million small draws cost more than the inserts.
  const rows = function* () {
    let pool = Buffer.alloc(0);
    let offset = 0;
    const take = (bytes: number) => {
      if (offset + bytes > pool.length) {
        pool = randomBytes(32 * BATCH);
        offset = 0;
      }
      offset += bytes;
      return pool.subarray(offset - bytes, offset);
    };
    for (let index = 0; index < count; index += 1) {
      // Ids and emails in key order, so that every index but the token hash's grows at its end.
      const id = idOf(index);
      const email = `user${String(index).padStart(8, '0')}@bench.example`;
      const token = take(32).toString('base64url');
      if (index % every === 0 && sample.length < SAMPLE) sample.push(token);
      yield {
        user: [id, email, email, passwordHash, 'none', 0, null, nowMs, nowMs],
        session: [id, id, 'cookie', sha256(token), null, 0, null, nowMs, nowMs, nowMs + 30 * 86_400_000],
      };
    }
  };
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  let batch: Array<{ user: unknown[]; session: unknown[] }> = [];
  const insert = async (table: string, items: unknown[][]) => {
    const width = items[0]!.length;
    const values = items.map((_, row) => `(${Array.from({ length: width }, (__, column) => `$${row * width + column + 1}`).join(', ')})`);
    await client.query(`insert into ${table} values ${values.join(', ')}`, items.flat());
  };
  const flush = async () => {
    if (batch.length === 0) return;
    // PostgreSQL takes at most 65,535 parameters per statement.
    for (let start = 0; start < batch.length; start += 5_000) {
      const part = batch.slice(start, start + 5_000);
      await insert('users', part.map((item) => item.user));
      await insert('sessions', part.map((item) => item.session));
    }
    batch = [];
  };
  for (const row of rows()) {
    batch.push(row);
    if (batch.length === BATCH) await flush();
  }
  await flush();
  await client.query('analyze');
  await client.end();
  return sample;
}

/**
 * SQLite generates the rows itself, a batch per statement, with the same shapes as the
 * PostgreSQL rows: a million round trips through the driver took longer than the inserts.
 * Token hashes are random, with no token behind them, but for the sample's: those sessions get
 * the hash of a token the load will present.
 */
function seedSqlite(path: string, count: number, nowMs: number, passwordHash: string, every: number): string[] {
  const db = new Database(path);
  // Seeding only: no journal, no fsync, and room to keep the indexes in memory while random
  // keys go in; Sesame's own settings (WAL, synchronous=FULL) are back before it starts.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -400000');
  const numbers = 'with recursive n(i) as (select ? union all select i + 1 from n where i + 1 < ?)';
  const users = db.prepare(
    `${numbers} insert into users select printf('%022d', i), printf('user%08d@bench.example', i), printf('user%08d@bench.example', i), ?, 'none', 0, null, ?, ? from n`,
  );
  const sessions = db.prepare(
    `${numbers} insert into sessions select printf('%022d', i), printf('%022d', i), 'cookie', lower(hex(randomblob(32))), null, 0, null, ?, ?, ? from n`,
  );
  const presented = db.prepare('update sessions set token_hash = ? where id = ?');
  const sample: string[] = [];
  db.transaction(() => {
    for (let start = 0; start < count; start += SQLITE_BATCH) {
      const end = Math.min(count, start + SQLITE_BATCH);
      users.run(start, end, passwordHash, nowMs, nowMs);
      sessions.run(start, end, nowMs, nowMs, nowMs + 30 * 86_400_000);
    }
    for (let index = 0; index < count && sample.length < SAMPLE; index += every) {
      const token = randomBytes(32).toString('base64url');
      presented.run(sha256(token), idOf(index));
      sample.push(token);
    }
  })();
  db.pragma('journal_mode = WAL');
  db.close();
  return sample;
}
