import type { Database, Statement } from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

// Our queries come from a fixed set of builders, so a small cache holds every statement;
// the bound only guards against a query whose text varies (an IN list of varying length).
const STATEMENT_CACHE_SIZE = 256;

/** One better-sqlite3 connection with prepared statements kept for reuse. */
class SqliteConnection implements DatabaseConnection {
  readonly #database: Database;
  readonly #wrote: () => void;
  readonly #statements = new Map<string, Statement>();

  constructor(database: Database, wrote: () => void) {
    this.#database = database;
    this.#wrote = wrote;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const statement = this.#prepare(query.sql);
      if (statement.reader) return Promise.resolve({ rows: statement.all(query.parameters) as R[] });
      // Before running it: even a statement that fails part-way may have changed something.
      this.#wrote();
      const { changes } = statement.run(query.parameters);
      return Promise.resolve({ numAffectedRows: BigInt(changes), rows: [] });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  // eslint-disable-next-line require-yield -- the store never streams; Kysely's interface asks for the method.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported');
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Kysely's SQLite driver, changed in two ways: statements are prepared once, not on every
 * query, and transactions begin IMMEDIATE. A deferred transaction that reads first and writes
 * later fails with SQLITE_BUSY when another process (`sesame gc`) wrote in between; taking the
 * write lock at BEGIN makes it wait for the busy timeout instead.
 */
class SqliteDriver implements Driver {
  readonly #open: () => Database;
  readonly #wrote: () => void;
  #database: Database | null = null;
  #connection: SqliteConnection | null = null;
  // SQLite has one connection; a transaction holds it from BEGIN to COMMIT, so others queue.
  #locked: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;

  constructor(open: () => Database, wrote: () => void) {
    this.#open = open;
    this.#wrote = wrote;
  }

  async init(): Promise<void> {
    this.#database = this.#open();
    this.#connection = new SqliteConnection(this.#database, this.#wrote);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.#locked;
    this.#locked = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    if (!this.#connection) throw new Error('the SQLite driver is not initialised');
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#release();
  }

  async destroy(): Promise<void> {
    this.#database?.close();
  }
}

/**
 * Kysely's SQLite dialect with the driver above; `open` runs when Kysely first needs the
 * connection, and `wrote` before every statement that may write.
 */
export class CachingSqliteDialect implements Dialect {
  readonly #open: () => Database;
  readonly #wrote: () => void;

  constructor(open: () => Database, wrote: () => void) {
    this.#open = open;
    this.#wrote = wrote;
  }

  createDriver(): Driver {
    return new SqliteDriver(this.#open, this.#wrote);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
