import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { errorCode } from '../dialects.js';

// Only plannable statements are worth a name; transaction control and DDL run unnamed: a
// named `commit` that the server had lost could be retried into a silent rollback.
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

/** A pooled client as both paths use it: discarded on release when it may be busy or in a transaction. */
interface Connection {
  readonly execute: (query: pg.QueryConfig) => Promise<pg.QueryResult>;
  readonly release: () => void;
  /** The same client as Kysely is given it. */
  readonly forKysely: PostgresPoolClient;
}

const nameOf = ({ index, renames }: Named) => (renames === 0 ? `sesame_${index}` : `sesame_${index}_${renames}`);

/** Named statements on one pool: for Kysely, and for a single statement outside any transaction. */
export interface PreparedStatements {
  /** The pool Kysely is given: each statement text it runs is a named prepared statement. */
  readonly pool: PostgresPool;
  /**
   * Runs one statement on a pooled connection, outside any transaction, named as the pool's:
   * for the hottest reads, without Kysely's connection layers. The connection is discarded as
   * Kysely's are, after an error the server did not report.
   */
  query(text: string, values: readonly unknown[]): Promise<pg.QueryResult>;
  /** Ends the pool, once, whichever of Kysely and the store asks first. */
  end(): Promise<void>;
}

/**
 * `pool`, with each statement text run as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of at every query, the larger part of its CPU per
 * session check (BENCHMARKS.md, item 29). Only the first
 * `maxStatements` distinct texts get a name, so that distinct texts cannot fill each
 * connection with plans.
 *
 * A stale statement (`isStaleStatement`) is renamed, so that every connection prepares it
 * afresh, and run again under the new name when no transaction is open; inside one, the
 * transaction has been aborted, and the error goes to the caller (answered as unavailable).
 *
 * A connection Kysely hands back is discarded, not pooled, when it may still be busy or in a
 * transaction: after an error the server did not report (a timeout leaves the query running,
 * and drops a `rollback` queued behind it), or when it is not idle. Pooled, the next
 * statements on it would run inside the leftover transaction and never commit.
 *
 * Behind a pooler, named statements need one that keeps them per client (PgBouncer 1.21+
 * with `max_prepared_statements`).
 */
export function preparedStatements(pool: pg.Pool, maxStatements: number): PreparedStatements {
  const texts = new Map<string, Named>();
  const namedOf = (text: string, parameters: number): Named | undefined => {
    const known = texts.get(text);
    if (known !== undefined) return known.renames > MAX_RENAMES ? undefined : known;
    if (texts.size >= maxStatements || parameters > MAX_NAMED_PARAMETERS || !PLANNABLE.test(text)) return undefined;
    const named = { index: texts.size, renames: 0 };
    texts.set(text, named);
    return named;
  };
  async function run(execute: (query: pg.QueryConfig) => Promise<pg.QueryResult>, text: string, values: unknown[], inTransaction: boolean) {
    const named = namedOf(text, values.length);
    if (named === undefined) return execute({ text, values });
    const renames = named.renames;
    try {
      return await execute({ name: nameOf(named), text, values });
    } catch (error) {
      if (!isStaleStatement(error)) throw error;
      // Of the connections that met the stale name, the first renames it.
      if (named.renames === renames) named.renames += 1;
      if (inTransaction) throw error;
      return execute(named.renames > MAX_RENAMES ? { text, values } : { name: nameOf(named), text, values });
    }
  }
  // One per pooled client, made once: Kysely also keeps one `PostgresConnection` per client it is given.
  const connections = new WeakMap<pg.PoolClient, Connection>();
  const connectionOf = (client: pg.PoolClient): Connection => {
    let connection = connections.get(client);
    if (connection === undefined) {
      let isBroken = false;
      const execute = (query: pg.QueryConfig) =>
        client.query(query).catch((error: unknown) => {
          // An error the server reported (a stale statement, say) leaves the connection usable.
          if (!(error instanceof pg.DatabaseError)) isBroken = true;
          throw error;
        });
      const release = () => client.release(isBroken || client.getTransactionStatus() !== 'I');
      connection = {
        execute,
        release,
        forKysely: {
          // Kysely passes a cursor only to stream results, which needs a cursor class this dialect is not given.
          // Kysely hands over a fresh copy of its parameters: no second copy here.
          query: ((text: string, parameters: unknown[]) =>
            run(execute, text, parameters, client.getTransactionStatus() !== 'I')) as unknown as PostgresPoolClient['query'],
          release,
        },
      };
      connections.set(client, connection);
    }
    return connection;
  };
  let ended: Promise<void> | null = null;
  const end = () => (ended ??= pool.end());
  return {
    pool: {
      async connect(): Promise<PostgresPoolClient> {
        return connectionOf(await pool.connect()).forKysely;
      },
      end,
    },
    async query(text, values) {
      const connection = connectionOf(await pool.connect());
      try {
        // pg never changes the values array, and every caller passes a fresh one: no copy here.
        return await run(connection.execute, text, values as unknown[], false);
      } finally {
        connection.release();
      }
    },
    end,
  };
}
