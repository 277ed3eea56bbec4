import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Kysely, Migrator, sql } from 'kysely';
import {
  StoreConflictError,
  StoreUnavailableError,
  type ImportOptions,
  type ImportOutcome,
  type InsertSessionOptions,
  type OutboxMessage,
  type PurgeCounts,
  type ResetToken,
  type Session,
  type SessionDetails,
  type SessionRef,
  type SessionWithEmail,
  type Store,
  type StoredKey,
  type StoredPassword,
  type User,
  type UserChanges,
  type UserClaims,
  type UserListQuery,
} from '../../core/store.js';
import { unreported, type AvailabilityReport } from '../availability.js';
import type { StoreStats } from '../open-store.js';
import { TIMED_STATEMENTS, type StatementTimings, type TimedStatement } from '../statement-timings.js';
import type { FastReads, SqlDialect } from './dialects.js';
import { guarded, type Timing } from './guard.js';
import { insertKey, listKeys } from './keys.js';
import { sqlMigrations } from './migrations/index.js';
import { OperatorStatements } from './operator-statements.js';
import { claimMessages, deleteMessage, rescheduleMessage } from './outbox.js';
import { outboxBacklog } from './outbox-backlog.js';
import { PasswordStatements } from './password-statements.js';
import { PURGE_BATCH, purgeResetTokens, purgeSessionBatch } from './purge.js';
import { SessionStatements } from './session-statements.js';
import type { Tables } from './tables.js';
import { DryRunRollback, importUserBatch } from './user-import.js';
import { listUsers } from './user-listing.js';
import { UserStatements } from './user-statements.js';

/**
 * The `Store` on a SQL engine through Kysely. One class serves every engine; `SqlDialect` says
 * how they differ. The statements live by what they touch (users, sessions, passwords, an
 * operator's writes, outbox, keys); this class makes each port method one guarded operation,
 * in a transaction where the method's atomicity needs one.
 */
export class SqlStore implements Store {
  readonly #db: Kysely<Tables>;
  readonly #dialect: SqlDialect;
  readonly #reads: FastReads;
  readonly #users: UserStatements;
  readonly #sessions: SessionStatements;
  readonly #passwords: PasswordStatements;
  readonly #operators: OperatorStatements;
  readonly #report: AvailabilityReport;
  // Null while the metrics are off: the hot operations then read no clock at all.
  #timings: ReadonlyMap<TimedStatement, Timing> | null = null;
  #closed = false;

  /** A store on `dialect`; whether the database answers goes to `report`. */
  constructor(dialect: SqlDialect, report: AvailabilityReport = unreported) {
    this.#dialect = dialect;
    this.#report = report;
    this.#db = new Kysely<Tables>({ dialect: dialect.kysely });
    this.#reads = dialect.openFastReads(this.#db);
    this.#users = new UserStatements(this.#db, this.#reads);
    this.#sessions = new SessionStatements(this.#db, dialect, this.#reads);
    this.#passwords = new PasswordStatements(this.#db, dialect);
    this.#operators = new OperatorStatements(this.#db, dialect);
  }

  /** Tells `timings` how long each hot operation takes from now on (the metrics, when they are on). */
  timeStatementsIn(timings: StatementTimings): void {
    // One timing per statement, made now: a timed operation allocates nothing to be timed.
    this.#timings = new Map(TIMED_STATEMENTS.map((statement) => [statement, { timings, statement }]));
  }

  /** Applies every pending migration, in order; returns the names of those it applied. */
  async migrate(): Promise<string[]> {
    return this.#guard(async () => {
      const columns = await this.#dialect.columns(this.#db as Kysely<unknown>);
      const migrator = new Migrator({
        db: this.#db,
        provider: { getMigrations: () => Promise.resolve(sqlMigrations(columns, this.#dialect)) },
        migrationTableName: 'sesame_migrations',
        migrationLockTableName: 'sesame_migrations_lock',
      });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
    });
  }

  insertUser(user: User): Promise<void> {
    return this.#guard(() => this.#users.insert(user), 'user_insert');
  }

  importUsers(users: readonly User[], options: ImportOptions): Promise<ImportOutcome[]> {
    if (users.length === 0) return Promise.resolve([]);
    return this.#guard(async () => {
      try {
        return await this.#transaction().execute((trx) => importUserBatch(trx, this.#dialect, users, options));
      } catch (error) {
        // A dry run's answer comes back as the error that rolled it back.
        if (error instanceof DryRunRollback) return error.outcomes;
        throw error;
      }
    });
  }

  findUserByEmailKey(emailKey: string): Promise<User | null> {
    return this.#guard(() => this.#users.findByEmailKey(emailKey), 'user_by_email');
  }

  findUserById(userId: string): Promise<User | null> {
    return this.#guard(() => this.#users.findById(userId));
  }

  setUserClaims(userId: string, claims: UserClaims | null, at: Date): Promise<boolean> {
    return this.#guard(() => this.#users.setClaims(userId, claims, at));
  }

  upgradePassword(userId: string, current: StoredPassword, next: StoredPassword, at: Date): Promise<boolean> {
    return this.#guard(() => this.#users.upgradePassword(userId, current, next, at));
  }

  insertSession(session: Session, options: InsertSessionOptions): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#sessions.insert(trx, session, options)), 'session_insert');
  }

  listUserSessions(userId: string): Promise<SessionRef[]> {
    return this.#guard(() => this.#sessions.listOfUser(userId));
  }

  listSessionDetails(userId: string): Promise<SessionDetails[]> {
    return this.#guard(() => this.#sessions.listDetails(userId));
  }

  listUsers(query: UserListQuery): Promise<User[]> {
    return this.#guard(() => listUsers(this.#db, query));
  }

  updateUser(userId: string, changes: UserChanges, at: Date): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#operators.updateUser(trx, userId, changes, at)));
  }

  setPassword(userId: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#passwords.set(trx, userId, password, at, notice)));
  }

  deleteUser(userId: string, notice?: OutboxMessage): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#operators.deleteUser(trx, userId, notice)));
  }

  deleteUserSessions(userId: string): Promise<readonly SessionRef[]> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#operators.deleteUserSessions(trx, userId)));
  }

  // The session check's one read: served from the engine's exact in-process copy when it has one.
  findSessionByTokenHash(tokenHash: string): Promise<SessionWithEmail | null> {
    return this.#reads.session(`sessions.token_hash:${tokenHash}`, () => this.#guard(() => this.#sessions.findByTokenHash(tokenHash), 'session_by_token_hash'));
  }

  findSessionById(sessionId: string): Promise<SessionWithEmail | null> {
    return this.#reads.session(`sessions.id:${sessionId}`, () => this.#guard(() => this.#sessions.findById(sessionId), 'session_by_id'));
  }

  rotateRefreshToken(sessionId: string, parentHash: string, childHash: string, at: Date): Promise<boolean> {
    return this.#guard(() => this.#sessions.rotateRefresh(sessionId, parentHash, childHash, at), 'refresh_rotate');
  }

  confirmRefreshToken(sessionId: string, refreshHash: string, at: Date): Promise<boolean> {
    return this.#guard(() => this.#sessions.confirmRefresh(sessionId, refreshHash, at), 'refresh_confirm');
  }

  touchSession(sessionId: string, seenAt: Date): Promise<boolean> {
    return this.#guard(() => this.#sessions.touch(sessionId, seenAt), 'session_touch');
  }

  deleteSession(sessionId: string): Promise<boolean> {
    return this.#guard(() => this.#sessions.delete(sessionId));
  }

  changePassword(...change: Parameters<Store['changePassword']>): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#passwords.change(trx, ...change)));
  }

  saveResetToken(token: ResetToken): Promise<void> {
    return this.#guard(() => this.#passwords.saveResetToken(token));
  }

  saveResetRequest(token: ResetToken | null, message: OutboxMessage): Promise<void> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#passwords.saveResetRequest(trx, token, message)));
  }

  findResetTokenByHash(tokenHash: string): Promise<ResetToken | null> {
    return this.#guard(() => this.#passwords.findResetToken(tokenHash));
  }

  resetPassword(userId: string, tokenHash: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#passwords.reset(trx, userId, tokenHash, password, at, notice)));
  }

  claimMessages(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]> {
    return this.#guard(() => claimMessages(this.#db, now.getTime(), leaseUntil.getTime(), limit), 'outbox_claim');
  }

  deleteMessage(id: string): Promise<void> {
    return this.#guard(() => deleteMessage(this.#db, id));
  }

  rescheduleMessage(id: string, attempts: number, nextAttemptAt: Date): Promise<void> {
    return this.#guard(() => rescheduleMessage(this.#db, id, attempts, nextAttemptAt.getTime()));
  }

  async purgeExpired(now: Date, idleCutoff: Date): Promise<PurgeCounts> {
    let sessions = 0;
    // Batch by batch, each within the deadline, yielding between them: a large purge never
    // holds the database or the event loop for long.
    for (;;) {
      const { selected, deleted } = await this.#guard(() => purgeSessionBatch(this.#db, now.getTime(), idleCutoff.getTime()));
      sessions += deleted;
      if (selected < PURGE_BATCH) break;
      await yieldToEventLoop();
    }
    const resetTokens = await this.#guard(() => purgeResetTokens(this.#db, now.getTime()));
    return { sessions, resetTokens };
  }

  listKeys(): Promise<StoredKey[]> {
    return this.#guard(() => listKeys(this.#db));
  }

  async insertKey(key: StoredKey): Promise<boolean> {
    try {
      await this.#guard(() => insertKey(this.#db, key));
      return true;
    } catch (error) {
      if (error instanceof StoreConflictError) return false;
      throw error;
    }
  }

  async stats(): Promise<StoreStats> {
    let outbox: StoreStats['outbox'] = null;
    try {
      outbox = await this.#guard(() => outboxBacklog(this.#db));
    } catch (error) {
      // A scrape while the database is away still shows the rest; the outage log has said why.
      if (!(error instanceof StoreUnavailableError)) throw error;
    }
    return { poolInUse: this.#dialect.poolInUse?.() ?? null, sessionCache: this.#dialect.sessionCacheCounts?.() ?? null, outbox };
  }

  ping(): Promise<void> {
    return this.#guard(async () => {
      await sql`select 1`.execute(this.#db);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#db.destroy();
    await this.#reads.close();
  }

  /**
   * A read-committed transaction on every engine: PostgreSQL's default, and on MySQL it keeps
   * the range deletes of log-ins from taking gap locks that deadlock with each other's inserts.
   * Correctness comes from row locks and conditional writes, not from the isolation level.
   */
  #transaction() {
    return this.#db.transaction().setIsolationLevel('read committed');
  }

  /** Runs `operation` guarded; a hot one (`statement`) is timed while the metrics are on. */
  #guard<T>(operation: () => Promise<T>, statement?: TimedStatement): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    const timing = this.#timings === null || statement === undefined ? null : (this.#timings.get(statement) ?? null);
    return guarded(this.#dialect, this.#report, operation, timing);
  }
}
