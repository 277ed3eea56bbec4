import { MysqlDialect, sql, type Kysely } from 'kysely';
import { createPool } from 'mysql2';
import { errorCode, isNetworkError, readsThroughKysely, type Columns, type SqlDialect } from '../dialects.js';
import { pooledWithDeadline } from './mysql-pool.js';

const UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'POOL_CLOSED',
]);

// Binary collations without PAD SPACE: 'a' and 'a ' differ, as bytes do. MariaDB has the
// first, MySQL 8 the second; the server is asked which it has.
const NO_PAD_BINARY_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'];

/** A MySQL or MariaDB pool of at most `poolSize` connections for `url`; connecting and each query may take `timeoutMs`. */
export function openMysql(url: string, poolSize: number, timeoutMs: number): SqlDialect {
  const pool = createPool({
    uri: url,
    connectionLimit: poolSize,
    connectTimeout: timeoutMs,
    // Idle connections to a server that went away are found by TCP keep-alive probes.
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    // Affected rows count the rows a WHERE matched, not only those whose values changed:
    // a compare-and-set that writes the same value still reports its match.
    flags: ['FOUND_ROWS'],
    charset: 'utf8mb4',
  });
  const pooled = pooledWithDeadline(pool, timeoutMs);
  return {
    kysely: new MysqlDialect({ pool: pooled }),
    poolInUse: () => pooled.inUse(),
    async columns(db: Kysely<unknown>): Promise<Columns> {
      const { rows } = await sql<{ name: string }>`select COLLATION_NAME as name from information_schema.COLLATIONS`.execute(db);
      const available = new Set(rows.map((row) => row.name));
      const collation = NO_PAD_BINARY_COLLATIONS.find((name) => available.has(name));
      if (!collation) {
        throw new Error('this MySQL server has no NO PAD binary collation (utf8mb4_nopad_bin or utf8mb4_0900_bin): MariaDB 10.2+ or MySQL 8.0.17+ is needed');
      }
      return {
        key: (length: number) => sql`varchar(${sql.raw(String(length))}) character set utf8mb4 collate ${sql.raw(collation)}`,
        text: sql`text character set utf8mb4 collate utf8mb4_bin`,
        time: 'bigint',
        integer: 'integer',
      };
    },
    hasRowLocks: true,
    deleteReturning: false,
    hasPartialIndexes: false,
    upsert: 'on-duplicate-key',
    deadlineMs: timeoutMs,
    // Other machines write to the same server unseen: every check reads the row.
    openFastReads: readsThroughKysely,
    classifyError(error) {
      const code = errorCode(error);
      if (code === 'ER_DUP_ENTRY') return 'conflict';
      if ((code !== null && UNAVAILABLE_CODES.has(code)) || isNetworkError(error)) return 'unavailable';
      if (error instanceof Error && /Pool is closed|connection is in closed state/i.test(error.message)) return 'unavailable';
      return null;
    },
  };
}
