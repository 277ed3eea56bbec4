import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Kysely, Migrator, sql, type Selectable, type Transaction, type UpdateResult } from 'kysely';
import {
  StoreConflictError,
  StoreUnavailableError,
  type InsertSessionOptions,
  type OutboxMessage,
  type PurgeCounts,
  type ResetToken,
  type Session,
  type SessionRef,
  type SessionWithEmail,
  type Store,
  type StoredKey,
  type StoredPassword,
  type User,
  type UserClaims,
} from '../../core/store.js';
import type { FastReads, SqlDialect } from './dialects.js';
import { guarded } from './guard.js';
import { sqlMigrations } from './migrations/index.js';
import { compileNamed, placeholders, type NamedStatement } from './named-statement.js';
import { claimMessages, insertMessage } from './outbox.js';
import { PURGE_BATCH, purgeResetTokens, purgeSessionBatch } from './purge.js';
import {
  decoyOf,
  fromClaims,
  fromKey,
  fromResetToken,
  fromUser,
  toKey,
  toResetToken,
  toSession,
  toSessionRef,
  toUser,
} from './rows.js';
import { compileEnding, compileSessionInsert, type Ending, type SessionInsert } from './session-insert.js';
import type { SessionsTable, Tables, UsersTable } from './tables.js';

type SessionWithEmailRow = Selectable<SessionsTable> & { email: string };

/** The `Store` on a SQL engine through Kysely. One class serves every engine; `SqlDialect` says how they differ. */
export class SqlStore implements Store {
  readonly #db: Kysely<Tables>;
  readonly #dialect: SqlDialect;
  readonly #reads: FastReads;
  // The reads of every session check and log-in, and a refresh's statements: compiled once.
  readonly #sessionById: NamedStatement<SessionWithEmailRow, { sessionId: string }>;
  readonly #sessionByTokenHash: NamedStatement<SessionWithEmailRow, { tokenHash: string }>;
  readonly #userByEmailKey: NamedStatement<Selectable<UsersTable>, { emailKey: string }>;
  readonly #userById: NamedStatement<Selectable<UsersTable>, { userId: string }>;
  readonly #rotateRefresh: NamedStatement<UpdateResult, { sessionId: string; parentHash: string; childHash: string; at: number }>;
  readonly #confirmRefresh: NamedStatement<UpdateResult, { sessionId: string; refreshHash: string; at: number }>;
  readonly #insertSession: SessionInsert;
  // What a password change and a password reset end: every other session of the user, or all.
  readonly #endOtherSessions: Ending<{ userId: string; keepSessionId: string }>;
  readonly #endUserSessions: Ending<{ userId: string }>;
  #closed = false;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
    const db = new Kysely<Tables>({ dialect: dialect.kysely });
    this.#db = db;
    this.#reads = dialect.openFastReads(db);
    const sessionsWithEmail = () => db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').selectAll('sessions').select('users.email');
    const byId = placeholders<{ sessionId: string }>();
    this.#sessionById = compileNamed(sessionsWithEmail().where('sessions.id', '=', byId.sessionId), byId);
    const byTokenHash = placeholders<{ tokenHash: string }>();
    this.#sessionByTokenHash = compileNamed(sessionsWithEmail().where('sessions.token_hash', '=', byTokenHash.tokenHash), byTokenHash);
    const byEmailKey = placeholders<{ emailKey: string }>();
    this.#userByEmailKey = compileNamed(db.selectFrom('users').selectAll().where('email_key', '=', byEmailKey.emailKey), byEmailKey);
    const byUserId = placeholders<{ userId: string }>();
    this.#userById = compileNamed(db.selectFrom('users').selectAll().where('id', '=', byUserId.userId), byUserId);
    const rotate = placeholders<{ sessionId: string; parentHash: string; childHash: string; at: number }>();
    this.#rotateRefresh = compileNamed(
      db
        .updateTable('sessions')
        .set({ refresh_hash: rotate.childHash, refresh_generation: sql<number>`refresh_generation + 1`, refreshed_at: rotate.at, last_seen_at: rotate.at })
        .where('id', '=', rotate.sessionId)
        .where('refresh_hash', '=', rotate.parentHash),
      rotate,
    );
    const confirm = placeholders<{ sessionId: string; refreshHash: string; at: number }>();
    this.#confirmRefresh = compileNamed(
      db.updateTable('sessions').set({ last_seen_at: confirm.at }).where('id', '=', confirm.sessionId).where('refresh_hash', '=', confirm.refreshHash),
      confirm,
    );
    this.#insertSession = compileSessionInsert(db, dialect);
    const others = placeholders<{ userId: string; keepSessionId: string }>();
    this.#endOtherSessions = compileEnding(db, dialect, others, (eb) => eb.and([eb('user_id', '=', others.userId), eb('id', '!=', others.keepSessionId)]));
    const all = placeholders<{ userId: string }>();
    this.#endUserSessions = compileEnding(db, dialect, all, (eb) => eb('user_id', '=', all.userId));
  }

  /** Applies every pending migration, in order; returns the names of those it applied. */
  async migrate(): Promise<string[]> {
    return this.#guard(async () => {
      const columns = await this.#dialect.columns(this.#db as Kysely<unknown>);
      const migrator = new Migrator({
        db: this.#db,
        provider: { getMigrations: () => Promise.resolve(sqlMigrations(columns)) },
        migrationTableName: 'sesame_migrations',
        migrationLockTableName: 'sesame_migrations_lock',
      });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
    });
  }

  insertUser(user: User): Promise<void> {
    return this.#guard(async () => {
      await this.#db.insertInto('users').values(fromUser(user)).execute();
    });
  }

  findUserByEmailKey(emailKey: string): Promise<User | null> {
    return this.#guard(async () => {
      const [row] = await this.#reads.rows(this.#userByEmailKey, { emailKey });
      return row ? toUser(row) : null;
    });
  }

  findUserById(userId: string): Promise<User | null> {
    return this.#guard(async () => {
      const [row] = await this.#reads.rows(this.#userById, { userId });
      return row ? toUser(row) : null;
    });
  }

  setUserClaims(userId: string, claims: UserClaims | null, at: Date): Promise<boolean> {
    return this.#guard(async () => {
      const result = await this.#db
        .updateTable('users')
        .set({ claims: fromClaims(claims), updated_at: at.getTime() })
        .where('id', '=', userId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  upgradePassword(userId: string, current: StoredPassword, next: StoredPassword, at: Date): Promise<boolean> {
    return this.#guard(async () => {
      const result = await this.#db
        .updateTable('users')
        .set({ password_hash: next.hash, password_normalization: next.normalization, updated_at: at.getTime() })
        .where('id', '=', userId)
        .where('password_hash', '=', current.hash)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  insertSession(session: Session, options: InsertSessionOptions): Promise<readonly SessionRef[] | null> {
    return this.#guard(() => this.#transaction().execute((trx) => this.#insertSession(trx, session, options)));
  }

  listUserSessions(userId: string): Promise<SessionRef[]> {
    return this.#guard(async () => {
      const rows = await this.#db.selectFrom('sessions').select(['id', 'kind', 'token_hash']).where('user_id', '=', userId).execute();
      return rows.map(toSessionRef);
    });
  }

  findSessionByTokenHash(tokenHash: string): Promise<SessionWithEmail | null> {
    return this.#findSession(`sessions.token_hash:${tokenHash}`, this.#sessionByTokenHash, { tokenHash });
  }

  findSessionById(sessionId: string): Promise<SessionWithEmail | null> {
    return this.#findSession(`sessions.id:${sessionId}`, this.#sessionById, { sessionId });
  }

  rotateRefreshToken(sessionId: string, parentHash: string, childHash: string, at: Date): Promise<boolean> {
    return this.#guard(async () => {
      return (await this.#rotateRefresh.changes(this.#db, { sessionId, parentHash, childHash, at: at.getTime() })) > 0n;
    });
  }

  confirmRefreshToken(sessionId: string, refreshHash: string, at: Date): Promise<boolean> {
    return this.#guard(async () => (await this.#confirmRefresh.changes(this.#db, { sessionId, refreshHash, at: at.getTime() })) > 0n);
  }

  touchSession(sessionId: string, seenAt: Date): Promise<boolean> {
    return this.#guard(async () => {
      const time = seenAt.getTime();
      const result = await this.#db
        .updateTable('sessions')
        // Never backwards: another instance may have recorded a later use already.
        .set((eb) => ({ last_seen_at: eb.case().when('last_seen_at', '<', time).then(time).else(eb.ref('last_seen_at')).end() }))
        .where('id', '=', sessionId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  deleteSession(sessionId: string): Promise<boolean> {
    return this.#guard(async () => {
      const result = await this.#db.deleteFrom('sessions').where('id', '=', sessionId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  changePassword(
    userId: string,
    expectedVersion: number,
    password: StoredPassword,
    keepSessionId: string,
    at: Date,
    notice?: OutboxMessage,
  ): Promise<readonly SessionRef[] | null> {
    return this.#guard(() =>
      this.#transaction().execute(async (trx) => {
        const changed = await this.#setNewPassword(trx, userId, password, at)
          .where('password_version', '=', expectedVersion)
          .where((eb) =>
            eb.exists(
              eb.selectFrom('sessions').select('sessions.id').where('sessions.id', '=', keepSessionId).where('sessions.user_id', '=', userId),
            ),
          )
          .executeTakeFirst();
        if (changed.numUpdatedRows === 0n) return null;
        // The update above holds the user's row lock, as ending sessions requires.
        const ended = await this.#endOtherSessions(trx, { userId, keepSessionId });
        await trx.deleteFrom('reset_tokens').where('user_id', '=', userId).execute();
        if (notice) await insertMessage(trx, notice);
        return ended;
      }),
    );
  }

  saveResetToken(token: ResetToken): Promise<void> {
    return this.#guard(() => this.#upsertResetToken(this.#db, 'reset_tokens', token));
  }

  saveResetRequest(token: ResetToken | null, message: OutboxMessage): Promise<void> {
    return this.#guard(() =>
      this.#transaction().execute(async (trx) => {
        // An unknown email writes the same upsert on a table of the same shape (migration 0003).
        if (token) await this.#upsertResetToken(trx, 'reset_tokens', token);
        else await this.#upsertResetToken(trx, 'reset_decoys', decoyOf(message));
        await insertMessage(trx, message);
      }),
    );
  }

  findResetTokenByHash(tokenHash: string): Promise<ResetToken | null> {
    return this.#guard(async () => {
      const row = await this.#db
        .selectFrom('reset_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toResetToken(row) : null;
    });
  }

  resetPassword(userId: string, tokenHash: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<readonly SessionRef[] | null> {
    return this.#guard(() =>
      this.#transaction().execute(async (trx) => {
        // The user's row first, as in every transaction that touches it, so that two of them
        // never wait for each other's locks in opposite orders.
        if (this.#dialect.hasRowLocks) await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
        // Deleting the token is the compare-and-set: only one transaction can delete the row.
        const consumed = await trx
          .deleteFrom('reset_tokens')
          .where('user_id', '=', userId)
          .where('token_hash', '=', tokenHash)
          .where('expires_at', '>', at.getTime())
          .executeTakeFirst();
        if (consumed.numDeletedRows === 0n) return null;
        await this.#setNewPassword(trx, userId, password, at).execute();
        const ended = await this.#endUserSessions(trx, { userId });
        if (notice) await insertMessage(trx, notice);
        return ended;
      }),
    );
  }

  claimMessages(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]> {
    return this.#guard(() => claimMessages(this.#db, now.getTime(), leaseUntil.getTime(), limit));
  }

  deleteMessage(id: string): Promise<void> {
    return this.#guard(async () => {
      await this.#db.deleteFrom('outbox').where('id', '=', id).execute();
    });
  }

  rescheduleMessage(id: string, attempts: number, nextAttemptAt: Date): Promise<void> {
    return this.#guard(async () => {
      await this.#db.updateTable('outbox').set({ attempts, next_attempt_at: nextAttemptAt.getTime() }).where('id', '=', id).execute();
    });
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
    return this.#guard(async () => (await this.#db.selectFrom('keys').selectAll().execute()).map(toKey));
  }

  async insertKey(key: StoredKey): Promise<boolean> {
    try {
      await this.#guard(() => this.#db.insertInto('keys').values(fromKey(key)).execute());
      return true;
    } catch (error) {
      if (error instanceof StoreConflictError) return false;
      throw error;
    }
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

  // The session check's one read: served from the engine's exact in-process copy when it has one.
  #findSession<P>(key: string, statement: NamedStatement<SessionWithEmailRow, P>, params: P): Promise<SessionWithEmail | null> {
    const load = () =>
      this.#guard(async () => {
        const [row] = await this.#reads.rows(statement, params);
        return row ? { ...toSession(row), email: row.email } : null;
      });
    return this.#reads.session(key, load);
  }

  async #upsertResetToken(db: Kysely<Tables>, table: 'reset_tokens' | 'reset_decoys', token: ResetToken): Promise<void> {
    const row = fromResetToken(token);
    const replacement = { token_hash: row.token_hash, created_at: row.created_at, expires_at: row.expires_at };
    const insert = db.insertInto(table).values(row);
    await (this.#dialect.upsert === 'on-conflict'
      ? insert.onConflict((conflict) => conflict.column('user_id').doUpdateSet(replacement))
      : insert.onDuplicateKeyUpdate(replacement)
    ).execute();
  }

  /** Sets a new password, counting it in the user's password version; callers add their conditions. */
  #setNewPassword(trx: Transaction<Tables>, userId: string, password: StoredPassword, at: Date) {
    return trx
      .updateTable('users')
      .set((eb) => ({
        password_hash: password.hash,
        password_normalization: password.normalization,
        password_version: eb('password_version', '+', 1),
        updated_at: at.getTime(),
      }))
      .where('id', '=', userId);
  }

  /**
   * A read-committed transaction on every engine: PostgreSQL's default, and on MySQL it keeps
   * the range deletes of log-ins from taking gap locks that deadlock with each other's inserts.
   * Correctness comes from row locks and conditional writes, not from the isolation level.
   */
  #transaction() {
    return this.#db.transaction().setIsolationLevel('read committed');
  }

  #guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return guarded(this.#dialect, operation);
  }
}
