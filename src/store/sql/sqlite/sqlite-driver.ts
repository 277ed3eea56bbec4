import type { Database, Statement } from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
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

/**
 * The one better-sqlite3 connection behind every Kysely connection, with group commit.
 *
 * With `synchronous=FULL` every commit waits for the disk, and on the event loop, since
 * better-sqlite3 is synchronous: a commit per write would bound refreshes by the disk's
 * flushes (BENCHMARKS.md, item 5). So a write outside a transaction joins an
 * open batch (one `BEGIN IMMEDIATE`), and the batch commits once, when the event loop has run
 * what was ready (`setImmediate`). Each write is answered only once its batch is on disk, so
 * nothing answered can be lost; writes that fail to commit fail together. A read that comes
 * while a batch is open runs right after the batch's commit (or its rollback): nothing is
 * ever answered from a write that is not on disk.
 *
 * A transaction commits on its own: it first commits the open batch, and while it runs the
 * other connections' statements wait, so no one sees its writes before its commit.
 *
 * One process holds one store per file: a second one in the same process would wait for the
 * first one's batch in SQLite's busy handler, which sleeps on the very event loop that batch
 * needs to commit.
 */
class SharedSqlite {
  readonly #database: Database;
  readonly #wrote: () => void;
  readonly #statements = new Map<string, Statement>();
  // The connection inside a transaction, and those waiting for it to end.
  #owner: SqliteConnection | null = null;
  #waiting: Array<() => void> = [];
  // The writes of the open batch, answered when it commits; null when no batch is open.
  #batch: Array<{ resolve: () => void; reject: (error: Error) => void }> | null = null;
  // Reads that came while the batch was open, run once it has ended.
  #readsAfterBatch: Array<() => void> = [];

  constructor(database: Database, wrote: () => void) {
    this.#database = database;
    this.#wrote = wrote;
  }

  async execute<R>(connection: SqliteConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    // Checked again after every wait, with nothing awaited between the check and the statement.
    while (this.#isHeldFrom(connection)) await this.#transactionEnd();
    const statement = this.#prepare(query.sql);
    if (statement.readonly) {
      if (this.#batch === null || this.#owner === connection) return { rows: statement.all(query.parameters) as R[] };
      return new Promise((resolve, reject) =>
        this.#readsAfterBatch.push(() => {
          try {
            resolve({ rows: statement.all(query.parameters) as R[] });
          } catch (error) {
            reject(asError(error));
          }
        }),
      );
    }
    // Before running it: even a statement that fails part-way may have changed something.
    this.#wrote();
    const run = () => (statement.reader ? { rows: statement.all(query.parameters) as R[], changes: 0 } : { rows: [], changes: statement.run(query.parameters).changes });
    const { rows, changes } = this.#owner === connection ? run() : await this.#batched(run);
    return { numAffectedRows: BigInt(changes), rows };
  }

  async begin(connection: SqliteConnection): Promise<void> {
    while (this.#isHeldFrom(connection)) await this.#transactionEnd();
    this.#commitBatch();
    this.#wrote();
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and
    // writes later fails with SQLITE_BUSY if another process (`sesame gc`) wrote in between.
    this.#run('begin immediate');
    this.#owner = connection;
  }

  commit(): void {
    this.#wrote();
    this.#run('commit');
    this.#endTransaction();
  }

  rollback(): void {
    this.#wrote();
    try {
      // A failed statement may have rolled the transaction back already.
      if (this.#database.inTransaction) this.#run('rollback');
    } finally {
      this.#endTransaction();
    }
  }

  close(): void {
    this.#commitBatch();
    this.#database.close();
  }

  /** True while a transaction other than `connection`'s holds the database. */
  #isHeldFrom(connection: SqliteConnection): boolean {
    return this.#owner !== null && this.#owner !== connection;
  }

  #transactionEnd(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #endTransaction(): void {
    this.#owner = null;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  #batched<T>(run: () => T): Promise<T> {
    if (this.#batch === null) {
      this.#run('begin immediate');
      this.#batch = [];
      setImmediate(() => this.#commitBatch());
    }
    const batch = this.#batch;
    let result: T;
    try {
      result = run();
    } catch (error) {
      // A constraint failure undoes its statement only; worse ones end the whole transaction.
      if (!this.#database.inTransaction) this.#failBatch(error);
      return Promise.reject(asError(error));
    }
    return new Promise((resolve, reject) => batch.push({ resolve: () => resolve(result), reject }));
  }

  #commitBatch(): void {
    const batch = this.#batch;
    if (batch === null) return;
    try {
      this.#run('commit');
    } catch (error) {
      try {
        if (this.#database.inTransaction) this.#run('rollback');
      } catch {
        // Nothing more to undo: the batch's writes fail below either way.
      }
      this.#failBatch(error);
      return;
    }
    this.#batch = null;
    this.#runReadsAfterBatch();
    for (const write of batch) write.resolve();
  }

  #failBatch(error: unknown): void {
    const batch = this.#batch ?? [];
    this.#batch = null;
    this.#wrote();
    this.#runReadsAfterBatch();
    for (const write of batch) write.reject(asError(error));
  }

  // Right after the batch ended, before anything else can open the next one.
  #runReadsAfterBatch(): void {
    const reads = this.#readsAfterBatch;
    this.#readsAfterBatch = [];
    for (const read of reads) read();
  }

  #run(sql: string): void {
    this.#prepare(sql).run();
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

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** What Kysely holds while it runs a query or a transaction: a turn at the shared connection. */
class SqliteConnection implements DatabaseConnection {
  readonly #shared: SharedSqlite;

  constructor(shared: SharedSqlite) {
    this.#shared = shared;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#shared.execute<R>(this, query);
  }

  // eslint-disable-next-line require-yield -- the store never streams; Kysely's interface asks for the method.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported');
  }
}

/** Kysely's SQLite driver, changed: statements prepared once, group commit, IMMEDIATE transactions. */
class SqliteDriver implements Driver {
  readonly #open: () => Database;
  readonly #wrote: () => void;
  #shared: SharedSqlite | null = null;

  constructor(open: () => Database, wrote: () => void) {
    this.#open = open;
    this.#wrote = wrote;
  }

  async init(): Promise<void> {
    this.#shared = new SharedSqlite(this.#open(), this.#wrote);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#shared) throw new Error('the SQLite driver is not initialised');
    return new SqliteConnection(this.#shared);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#shared!.begin(connection as SqliteConnection);
  }

  async commitTransaction(): Promise<void> {
    this.#shared!.commit();
  }

  async rollbackTransaction(): Promise<void> {
    this.#shared!.rollback();
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.#shared?.close();
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
