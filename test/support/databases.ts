import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, inject } from 'vitest';
import { openStore, type DatabaseConfig, type EngineStore } from '../../src/store/open-store.js';
import { tempDatabasePath } from './test-config.js';
import { serverUrls, type TestStore } from './test-stores.js';

export type Engine = DatabaseConfig['engine'];
export const ALL_ENGINES: readonly Engine[] = ['sqlite', 'postgres', 'mysql'];
/** The engines on a server of their own. */
export const SERVER_ENGINES: readonly Engine[] = ['postgres', 'mysql'];

/** What the suites run on, as the global setup chose (test/support/test-stores.ts). */
const stores = inject('testStores');
const urls = serverUrls(process.env);

export const TEST_ENGINES: readonly Engine[] = ALL_ENGINES.filter((engine) => stores.includes(engine));

/** The Redis server for cache suites, or null when the suites leave Redis out. */
export const TEST_REDIS_URL: string | null = stores.includes('redis') ? urls.redis : null;

/**
 * One describe block per engine of `engines`, named `name` with `%s` for the engine, run when
 * its engine and every store it `needs` besides are run here, and listed as skipped otherwise
 * (an empty `describe.each` would fail its file with "No test suite found").
 */
export function describeEngines<E extends Engine>(engines: readonly E[], name: string, body: (engine: E) => void, needs: readonly TestStore[] = []): void {
  for (const engine of engines) {
    describe.skipIf(![engine, ...needs].every((store) => stores.includes(store)))(name.replace('%s', engine), () => body(engine));
  }
}

/** A key prefix of its own for one test, so that tests never see each other's keys. */
export function testKeyPrefix(): string {
  return `sesame-test:${randomBytes(6).toString('hex')}:`;
}

// Servers to create throw-away databases on (the machine's own, as .ci/run starts them).
const POSTGRES_ADMIN_URL = urls.postgres;
const MYSQL_ADMIN_URL = urls.mysql;

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

/** What each test of a describe block gets from `storePerTest`. */
export interface StorePerTest {
  /** The test's own database, new before the migrations ran. */
  readonly database: TestDatabase;
  /** A store on it, migrated. */
  readonly store: EngineStore;
}

/** Registers hooks that give each test of the describe block a migrated store on a new database on `engine`, closed and dropped after the test. */
export function storePerTest(engine: Engine): StorePerTest {
  let current: StorePerTest | null = null;
  beforeEach(async () => {
    const database = await createTestDatabase(engine);
    current = { database, store: await openStore(database.config) };
    await current.store.migrate();
  });
  afterEach(async () => {
    if (!current) return;
    const { database, store } = current;
    current = null;
    await store.close();
    await database.drop();
  });
  const now = () => {
    if (!current) throw new Error('used outside a test');
    return current;
  };
  return {
    get database() {
      return now().database;
    },
    get store() {
      return now().store;
    },
  };
}

async function onPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect().catch((error: unknown) => {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}: start it (CI=true and SESAME_TEST_STORES require it)`, { cause: error });
  });
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function onMysql(statement: string): Promise<void> {
  const connection = await createConnection({ uri: MYSQL_ADMIN_URL }).catch((error: unknown) => {
    throw new Error(`MySQL is not reachable at ${MYSQL_ADMIN_URL}: start it (CI=true and SESAME_TEST_STORES require it)`, { cause: error });
  });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}
