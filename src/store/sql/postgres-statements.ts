import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { errorCode } from './dialects.js';

// Only plannable statements are worth a name; transaction control and DDL run unnamed, as
// before (a named `commit` that the server had lost could be retried into a silent rollback).
const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i;
// An `in (…)` list of every length is a text of its own: long ones run unnamed.
const MAX_NAMED_PARAMETERS = 16;
// A text whose statement keeps going stale (a server that keeps losing them) runs unnamed.
const MAX_RENAMES = 3;

/**
 * A named statement the server can no longer run as prepared: its result type changed
 * (another instance's migration added a column to a table it reads with `*`), or the server
 * does not have it (`DEALLOCATE`, a pooler that moved the client). The statement did not run.
 */
export function isStaleStatement(error: unknown): boolean {
  const code = errorCode(error);
  if (code === '26000') return true;
  return code === '0A000' && error instanceof Error && error.message.includes('cached plan must not change result type');
}

interface Named {
  readonly index: number;
  renames: number;
}

const nameOf = ({ index, renames }: Named) => (renames === 0 ? `sesame_${index}` : `sesame_${index}_${renames}`);

/**
 * `pool` for Kysely, with each statement text run as a named prepared statement: PostgreSQL
 * parses and plans it once per connection instead of at every query (server CPU per session
 * check: 28 µs against 96 µs for the same unnamed query). Only the first `maxStatements`
 * distinct texts get a name, so that distinct texts cannot fill each connection with plans.
 *
 * A stale statement (`isStaleStatement`) is renamed, so that every connection prepares it
 * afresh, and run again under the new name when no transaction is open; inside one, the
 * transaction has been aborted, and the error goes to the caller (answered as unavailable).
 *
 * Behind a pooler, named statements need one that keeps them per client (PgBouncer 1.21+
 * with `max_prepared_statements`).
 */
export function preparingPool(pool: pg.Pool, maxStatements: number): PostgresPool {
  const texts = new Map<string, Named>();
  const namedOf = (text: string, parameters: number): Named | undefined => {
    const known = texts.get(text);
    if (known !== undefined) return known.renames > MAX_RENAMES ? undefined : known;
    if (texts.size >= maxStatements || parameters > MAX_NAMED_PARAMETERS || !PLANNABLE.test(text)) return undefined;
    const named = { index: texts.size, renames: 0 };
    texts.set(text, named);
    return named;
  };
  async function run(client: pg.PoolClient, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const named = namedOf(text, values.length);
    if (named === undefined) return client.query(text, values);
    const renames = named.renames;
    const inTransaction = client.getTransactionStatus() !== 'I';
    try {
      return await client.query({ name: nameOf(named), text, values });
    } catch (error) {
      if (!isStaleStatement(error)) throw error;
      // Of the connections that met the stale name, the first renames it.
      if (named.renames === renames) named.renames += 1;
      if (inTransaction) throw error;
      return named.renames > MAX_RENAMES ? client.query(text, values) : client.query({ name: nameOf(named), text, values });
    }
  }
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        // Kysely passes a cursor only to stream results, which needs a cursor class this dialect is not given.
        // Kysely hands over a fresh copy of its parameters: no second copy here.
        query: ((text: string, parameters: unknown[]) => run(client, text, parameters)) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}
