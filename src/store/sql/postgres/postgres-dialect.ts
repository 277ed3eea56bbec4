import { PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { errorCode, isNetworkError, type SqlDialect } from '../dialects.js';
import type { NamedStatement } from '../named-statement.js';
import { isStaleStatement, preparedStatements } from './postgres-statements.js';

// SQLSTATE classes and codes that mean "the server cannot serve now", not "the query is wrong":
// connection exceptions, shutdown, too many connections, serialization and deadlock retries.
const UNAVAILABLE_STATES = /^(08|53|57P|40001|40P01)/;
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Query read timeout/i;
// Distinct statement texts prepared on each connection; Sesame runs a few dozen.
const PREPARED_STATEMENTS = 200;

/** A PostgreSQL pool of at most `poolSize` connections for `url`; a query may take `timeoutMs`. */
export function openPostgres(url: string, poolSize: number, timeoutMs: number): SqlDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: timeoutMs,
    idleTimeoutMillis: 30_000,
    // A server that stops answering without closing the connection must not hold a request for ever.
    query_timeout: timeoutMs,
    // Idle connections to a server that went away are found by TCP keep-alive probes.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // A connection whose server went away reports an 'error' event: on the pool while idle, on
  // the client while in use. Left without a listener either would end the process; with one,
  // the query fails (answered as unavailable) and the pool discards the connection.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const statements = preparedStatements(pool, PREPARED_STATEMENTS);
  return {
    kysely: new PostgresDialect({ pool: statements.pool }),
    // The "C" collation compares bytes.
    columns: () =>
      Promise.resolve({
        key: (length: number) => sql`varchar(${sql.raw(String(length))}) collate "C"`,
        text: 'text',
        time: 'bigint',
        integer: 'integer',
      }),
    hasRowLocks: true,
    deleteReturning: true,
    hasPartialIndexes: true,
    upsert: 'on-conflict',
    deadlineMs: timeoutMs,
    poolInUse: () => pool.totalCount - pool.idleCount,
    openFastReads: () => ({
      // Straight on the pool, past Kysely's connection layers, each a named statement as Kysely's are.
      rows: <Row, P>(statement: NamedStatement<Row, P>, params: P) =>
        statements.query(statement.sql, statement.values(params)).then((result) => result.rows as Row[]),
      // Other machines write to the same server unseen: every check reads the row.
      session: (_key, load) => load(),
      close: () => statements.end(),
    }),
    classifyError(error) {
      const code = errorCode(error);
      if (code === '23505') return 'conflict';
      // A stale prepared statement in a transaction: renamed already, so a retry succeeds.
      if ((code !== null && UNAVAILABLE_STATES.test(code)) || isNetworkError(error) || isStaleStatement(error)) return 'unavailable';
      if (error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message)) return 'unavailable';
      return null;
    },
  };
}
