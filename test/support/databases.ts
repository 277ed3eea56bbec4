import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/store/open-store.js';
import { tempDatabasePath } from './test-config.js';

export type Engine = DatabaseConfig['engine'];
const ALL_ENGINES: readonly Engine[] = ['sqlite', 'postgres', 'mysql'];
const ALL_STORES = [...ALL_ENGINES, 'redis'];

/**
 * What the suites run on: every engine and Redis under CI=true, so that a server that is down
 * fails the run instead of being skipped; otherwise SESAME_TEST_STORES (comma-separated, e.g.
 * `sqlite` on a machine without servers), and by default all of them.
 */
const stores =
  process.env.CI === 'true'
    ? ALL_STORES
    : (process.env.SESAME_TEST_STORES ?? ALL_STORES.join(',')).split(',').map((name) => {
        if (!ALL_STORES.includes(name.trim())) throw new Error(`SESAME_TEST_STORES names an unknown store: ${name}`);
        return name.trim();
      });

export const TEST_ENGINES: readonly Engine[] = ALL_ENGINES.filter((engine) => stores.includes(engine));

/** The Redis server for cache suites, or null when SESAME_TEST_STORES leaves Redis out. */
export const TEST_REDIS_URL: string | null = stores.includes('redis') ? (process.env.SESAME_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379') : null;

/** A key prefix of its own for one test, so that tests never see each other's keys. */
export function testKeyPrefix(): string {
  return `sesame-test:${randomBytes(6).toString('hex')}:`;
}

// Servers to create throw-away databases on (the machine's own, as .ci/run starts them).
const POSTGRES_ADMIN_URL = process.env.SESAME_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ADMIN_URL = process.env.SESAME_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  readonly config: DatabaseConfig;
  /** The `SESAME_DATABASE_URL` of this database. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A new, empty database on `engine`, dropped by `drop()`. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const path = tempDatabasePath();
    return { config: { engine, path }, url: `sqlite:${path}`, drop: () => Promise.resolve() };
  }
  const name = `sesame_test_${randomBytes(6).toString('hex')}`;
  if (engine === 'postgres') {
    await onPostgres(`create database ${name}`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      config: { engine, url: url.toString(), poolSize: 10, timeoutSeconds: 10 },
      url: url.toString(),
      drop: () => onPostgres(`drop database if exists ${name} with (force)`),
    };
  }
  await onMysql(`create database ${name} character set utf8mb4`);
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    config: { engine, url: url.toString(), poolSize: 10, timeoutSeconds: 10 },
    url: url.toString(),
    drop: () => onMysql(`drop database if exists ${name}`),
  };
}

async function onPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect().catch((error: unknown) => {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}: start it, or leave it out with SESAME_TEST_STORES`, { cause: error });
  });
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function onMysql(statement: string): Promise<void> {
  const connection = await createConnection({ uri: MYSQL_ADMIN_URL }).catch((error: unknown) => {
    throw new Error(`MySQL is not reachable at ${MYSQL_ADMIN_URL}: start it, or leave it out with SESAME_TEST_STORES`, { cause: error });
  });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}
