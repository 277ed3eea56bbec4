import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';

/**
 * The storage limit of a session check: the cookie's value, its SHA-256, and one prepared
 * lookup, the same one query Sesame runs (the session's row, which its expiry rules read, and
 * the user's email), with nothing else: no expiry rule, no cache, no touch.
 * Argument: the database Sesame uses (sqlite:<path> or postgres://…).
 */
const database = process.argv[2]!;
const query =
  'select sessions.*, users.email from sessions inner join users on users.id = sessions.user_id where sessions.token_hash = ';
let lookup: (hash: string) => Promise<string | undefined>;
if (database.startsWith('sqlite:')) {
  const db = new Database(database.slice('sqlite:'.length), { readonly: true });
  const statement = db.prepare<[string], { email: string }>(`${query}?`);
  lookup = async (hash) => statement.get(hash)?.email;
} else {
  const pool = new pg.Pool({ connectionString: database, max: 10 });
  lookup = async (hash) => (await pool.query<{ email: string }>({ name: 'profile', text: `${query}$1`, values: [hash] })).rows[0]?.email;
}

const app = Fastify();
app.get('/profile', async (request, reply) => {
  const token = /(?:^|;\s*)session_id=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  const email = token === undefined ? undefined : await lookup(createHash('sha256').update(token).digest('hex'));
  if (email === undefined) return reply.code(403).send({ message: 'no valid session' });
  return { email };
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.once('SIGTERM', () => void app.close());
