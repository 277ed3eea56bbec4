import type { MysqlPool, MysqlPoolConnection } from 'kysely';
import type { Pool, PoolConnection } from 'mysql2';
import { errorCode } from '../dialects.js';

// What mysql2 reports when a query's `timeout` passes before the server answered.
const QUERY_TIMEOUT = 'PROTOCOL_SEQUENCE_TIMEOUT';

/**
 * `pool` as Kysely takes it, where every query may take `deadlineMs`. A query that misses its
 * deadline fails, and its connection is destroyed, never pooled again: mysql2 keeps waiting
 * for that query's answer on it, and a connection whose server went silent (a hung peer, a
 * middlebox that dropped it) would otherwise hold every later query until TCP gives up.
 */
export function pooledWithDeadline(pool: Pool, deadlineMs: number): MysqlPool & { inUse(): number } {
  // Connections handed out and not yet released, for the metrics: mysql2 does not tell.
  let inUse = 0;
  // One per pooled connection, made once: Kysely keeps its own per connection it is given.
  const connections = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const connectionOf = (connection: PoolConnection): MysqlPoolConnection => {
    let wrapped = connections.get(connection);
    if (wrapped === undefined) {
      wrapped = {
        // Kysely calls without a callback only to stream results, which Sesame never asks for.
        query: ((sql: string, values: unknown[], callback: (error: unknown, result: unknown) => void) =>
          connection.query({ sql, values, timeout: deadlineMs }, (error: unknown, result: unknown) => {
            if (errorCode(error) === QUERY_TIMEOUT) connection.destroy();
            callback(error, result);
          })) as unknown as MysqlPoolConnection['query'],
        // A destroyed connection has left the pool already: mysql2 ignores its release.
        release: () => {
          inUse -= 1;
          connection.release();
        },
      };
      connections.set(connection, wrapped);
    }
    return wrapped;
  };
  return {
    getConnection: (callback) =>
      pool.getConnection((error, connection) => {
        if (!error) inUse += 1;
        callback(error, error ? connection : connectionOf(connection));
      }),
    end: (callback) => pool.end(callback),
    inUse: () => inUse,
  };
}
