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
 * A transaction joins the batch too, as a savepoint of it: a change written with its outbox
 * message, a reset with its token, costs no commit of its own. While it runs, the batch waits
 * for it to end before committing and the other connections' statements wait, so no one sees
 * its writes before they are on disk; its commit is answered when the batch's is. A rollback
 * undoes it alone. A failure that ends SQLite's transaction (a full disk, an I/O error) fails
 * every write of the batch, the transaction's with them.
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
  // The batch's turn to commit came while a transaction held it: it commits when that ends.
  #isCommitDue = false;

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
    const { rows, changes } = this.#owner === connection ? this.#inTransaction(run) : await this.#batched(run);
    return { numAffectedRows: BigInt(changes), rows };
  }

  async begin(connection: SqliteConnection): Promise<void> {
    while (this.#isHeldFrom(connection)) await this.#transactionEnd();
    this.#wrote();
    this.#openBatch();
    this.#run('savepoint sesame_transaction');
    this.#owner = connection;
  }

  /** Ends the transaction's savepoint; resolves once the batch that holds its writes is on disk. */
  commit(): Promise<void> {
    this.#wrote();
    const batch = this.#batch;
    if (batch === null) {
      this.#endTransaction();
      return Promise.reject(new Error('the transaction was rolled back with its batch'));
    }
    this.#run('release sesame_transaction');
    const committed = new Promise<void>((resolve, reject) => batch.push({ resolve, reject }));
    this.#endTransaction();
    return committed;
  }

  rollback(): void {
    this.#wrote();
    try {
      // A failed statement may have ended the whole batch already (and failed its writes).
      if (this.#batch !== null && this.#database.inTransaction) {
        this.#run('rollback to sesame_transaction');
        this.#run('release sesame_transaction');
      }
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
    if (this.#isCommitDue) this.#commitBatch();
  }

  /** Opens a batch unless one is open, to commit once the event loop has run what is ready. */
  #openBatch(): Array<{ resolve: () => void; reject: (error: Error) => void }> {
    if (this.#batch === null) {
      // IMMEDIATE takes the write lock at BEGIN: a deferred one that reads first and writes
      // later fails with SQLITE_BUSY if another process (`sesame gc`) wrote in between.
      this.#run('begin immediate');
      this.#batch = [];
      setImmediate(() => this.#commitBatch());
    }
    return this.#batch;
  }

  #batched<T>(run: () => T): Promise<T> {
    const batch = this.#openBatch();
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

  /** Runs a statement of the transaction, in its savepoint, unless a failure has ended the batch under it. */
  #inTransaction<T>(run: () => T): T {
    // Without this, a statement after a failure that ended SQLite's transaction would commit on its own.
    if (this.#batch === null) throw new Error('the transaction was rolled back with its batch');
    try {
      return run();
    } catch (error) {
      if (!this.#database.inTransaction) this.#failBatch(error);
      throw error;
    }
  }

  #commitBatch(): void {
    const batch = this.#batch;
    if (batch === null) return;
    if (this.#owner !== null) {
      this.#isCommitDue = true;
      return;
    }
    this.#isCommitDue = false;
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
    this.#isCommitDue = false;
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
    await this.#shared!.commit();
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
