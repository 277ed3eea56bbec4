import { createHash, randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';

/**
 * The least a durable log-in can do: the form, the account's hash by email, an argon2id
 * verify at Sesame's cost, one durable insert of the session's token hash, the cookie. No
 * attempt limits, no transaction, no other session ended, no audit line, no headers.
 * `POST /users` is the least a durable registration can do: an argon2id hash and one durable
 * insert (the registration figure's limit, and how the log-in accounts are made). It keeps its
 * own two tables: on SQLite in a file of its own (WAL, `synchronous=FULL`, as Sesame), on
 * PostgreSQL in the database given.
 * Arguments: sqlite:<path> or postgres://….
 */
const database = process.argv[2]!;
// 2 is Argon2id (the binding's const enum cannot be read under isolated modules).
const options = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SCHEMA = [
  'create table if not exists minimal_users (email text primary key, hash text not null)',
  'create table if not exists minimal_sessions (token_hash text primary key, email text not null, created_at bigint not null)',
];

interface Accounts {
  hashOf(email: string): Promise<string | undefined>;
  register(email: string, stored: string): Promise<void>;
  insertSession(tokenHash: string, email: string, at: number): Promise<void>;
}

async function accountsOn(url: string): Promise<Accounts> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const statement of SCHEMA) db.exec(statement);
    const hashOf = db.prepare<[string], { hash: string }>('select hash from minimal_users where email = ?');
    const register = db.prepare('insert or replace into minimal_users (email, hash) values (?, ?)');
    const insertSession = db.prepare('insert into minimal_sessions (token_hash, email, created_at) values (?, ?, ?)');
    return {
      hashOf: async (email) => hashOf.get(email)?.hash,
      register: async (email, stored) => void register.run(email, stored),
      insertSession: async (tokenHash, email, at) => void insertSession.run(tokenHash, email, at),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  for (const statement of SCHEMA) await pool.query(statement);
  return {
    hashOf: async (email) => (await pool.query<{ hash: string }>({ name: 'hash', text: 'select hash from minimal_users where email = $1', values: [email] })).rows[0]?.hash,
    register: async (email, stored) =>
      void (await pool.query({
        name: 'register',
        text: 'insert into minimal_users (email, hash) values ($1, $2) on conflict (email) do update set hash = excluded.hash',
        values: [email, stored],
      })),
    insertSession: async (tokenHash, email, at) =>
      void (await pool.query({ name: 'session', text: 'insert into minimal_sessions (token_hash, email, created_at) values ($1, $2, $3)', values: [tokenHash, email, at] })),
  };
}

const accounts = await accountsOn(database);
const app = Fastify();
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});
type Form = { Body: { email?: string; password?: string } };
app.post<Form>('/users', async (request) => {
  const { email = '', password = '' } = request.body;
  await accounts.register(email, await hash(password, options));
  return { email, message: 'user created' };
});
app.post<Form>('/sessions', async (request, reply) => {
  const { email = '', password = '' } = request.body;
  const stored = await accounts.hashOf(email);
  if (stored === undefined || !(await verify(stored, password))) return reply.code(401).send({ message: 'no' });
  const token = randomBytes(32).toString('base64url');
  await accounts.insertSession(createHash('sha256').update(token).digest('hex'), email, Date.now());
  void reply.header('set-cookie', `session_id=${token}; Path=/; HttpOnly`);
  return { email, message: 'logged in' };
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.once('SIGTERM', () => void app.close());
