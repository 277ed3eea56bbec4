import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Kysely, Migrator, sql, type Selectable, type Transaction } from 'kysely';
import {
  StoreConflictError,
  StoreUnavailableError,
  type InsertSessionOptions,
  type PasswordNormalization,
  type PurgeCounts,
  type ResetToken,
  type Session,
  type SessionKind,
  type SessionWithEmail,
  type Store,
  type StoredPassword,
  type User,
} from '../../core/store.js';
import type { SqlDialect } from './dialects.js';
import { sqlMigrations } from './migrations/index.js';
import type { ResetTokensTable, SessionsTable, Tables, UsersTable } from './tables.js';

// Rows purged per statement: large enough to be quick, small enough to never hold the write lock for long.
const PURGE_BATCH = 500;

/** The `Store` on a SQL engine through Kysely. One class serves every engine; `SqlDialect` says how they differ. */
export class SqlStore implements Store {
  readonly #db: Kysely<Tables>;
  readonly #dialect: SqlDialect;
  #closed = false;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
    this.#db = new Kysely<Tables>({ dialect: dialect.kysely });
  }

  /** Applies every pending migration, in order; returns the names of those it applied. */
  async migrate(): Promise<string[]> {
    return this.#guard(async () => {
      const migrator = new Migrator({
        db: this.#db,
        provider: { getMigrations: () => Promise.resolve(sqlMigrations(this.#dialect.columns)) },
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
      const row = await this.#db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst();
      return row ? toUser(row) : null;
    });
  }

  findUserById(userId: string): Promise<User | null> {
    return this.#guard(async () => {
      const row = await this.#db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
      return row ? toUser(row) : null;
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

  insertSession(session: Session, options: InsertSessionOptions): Promise<boolean> {
    return this.#guard(() =>
      this.#db.transaction().execute(async (trx) => {
        const user = await this.#lockUser(trx, session.userId);
        if (user?.password_hash !== options.passwordHash) return false;
        if (options.replacesTokenHash !== null) {
          await trx.deleteFrom('sessions').where('token_hash', '=', options.replacesTokenHash).execute();
        }
        if (options.endOtherCookieSessions) {
          await trx.deleteFrom('sessions').where('user_id', '=', session.userId).where('kind', '=', 'cookie').execute();
        }
        await trx.insertInto('sessions').values(fromSession(session)).execute();
        return true;
      }),
    );
  }

  findSessionByTokenHash(tokenHash: string): Promise<SessionWithEmail | null> {
    return this.#guard(async () => {
      const row = await this.#db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('sessions')
        .select('users.email')
        .where('sessions.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? { ...toSession(row), email: row.email } : null;
    });
  }

  touchSession(sessionId: string, seenAt: Date): Promise<void> {
    return this.#guard(async () => {
      await this.#db
        .updateTable('sessions')
        .set({ last_seen_at: seenAt.getTime() })
        .where('id', '=', sessionId)
        .where('last_seen_at', '<', seenAt.getTime())
        .execute();
    });
  }

  deleteSession(sessionId: string): Promise<boolean> {
    return this.#guard(async () => {
      const result = await this.#db.deleteFrom('sessions').where('id', '=', sessionId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  changePassword(userId: string, password: StoredPassword, keepSessionId: string | null, at: Date): Promise<void> {
    return this.#guard(() =>
      this.#db.transaction().execute(async (trx) => {
        await this.#setPassword(trx, userId, password, at);
        let sessions = trx.deleteFrom('sessions').where('user_id', '=', userId);
        if (keepSessionId !== null) sessions = sessions.where('id', '!=', keepSessionId);
        await sessions.execute();
        await trx.deleteFrom('reset_tokens').where('user_id', '=', userId).execute();
      }),
    );
  }

  saveResetToken(token: ResetToken): Promise<void> {
    return this.#guard(async () => {
      const row = fromResetToken(token);
      await this.#db
        .insertInto('reset_tokens')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('user_id').doUpdateSet({
            token_hash: row.token_hash,
            created_at: row.created_at,
            expires_at: row.expires_at,
          }),
        )
        .execute();
    });
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

  resetPassword(userId: string, tokenHash: string, password: StoredPassword, at: Date): Promise<boolean> {
    return this.#guard(() =>
      this.#db.transaction().execute(async (trx) => {
        // Deleting the token is the compare-and-set: only one transaction can delete the row.
        const consumed = await trx
          .deleteFrom('reset_tokens')
          .where('user_id', '=', userId)
          .where('token_hash', '=', tokenHash)
          .where('expires_at', '>', at.getTime())
          .executeTakeFirst();
        if (consumed.numDeletedRows === 0n) return false;
        await this.#setPassword(trx, userId, password, at);
        await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
        return true;
      }),
    );
  }

  purgeExpired(now: Date, idleCutoff: Date): Promise<PurgeCounts> {
    return this.#guard(async () => {
      const nowMs = now.getTime();
      const idleMs = idleCutoff.getTime();
      let sessions = 0;
      for (;;) {
        // Select then delete by id, re-checking the condition: portable to engines that
        // cannot LIMIT a DELETE or a subquery, and exact even if a row changed in between.
        const batch = await this.#db
          .selectFrom('sessions')
          .select('id')
          .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<=', idleMs)]))
          .limit(PURGE_BATCH)
          .execute();
        if (batch.length === 0) break;
        const deleted = await this.#db
          .deleteFrom('sessions')
          .where(
            'id',
            'in',
            batch.map((row) => row.id),
          )
          .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<=', idleMs)]))
          .executeTakeFirst();
        sessions += Number(deleted.numDeletedRows);
        if (batch.length < PURGE_BATCH) break;
        await yieldToEventLoop();
      }
      const resetTokens = await this.#db.deleteFrom('reset_tokens').where('expires_at', '<=', nowMs).executeTakeFirst();
      return { sessions, resetTokens: Number(resetTokens.numDeletedRows) };
    });
  }

  ping(): Promise<void> {
    return this.#guard(async () => {
      await sql`select 1`.execute(this.#db);
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#db.destroy();
  }

  /** Reads the user's password hash inside `trx`, locking the row where the engine has row locks. */
  async #lockUser(trx: Transaction<Tables>, userId: string): Promise<{ password_hash: string } | undefined> {
    const query = trx.selectFrom('users').select('password_hash').where('id', '=', userId);
    // Serialises writers of one user's sessions on engines where transactions run side by side.
    return (this.#dialect.hasRowLocks ? query.forUpdate() : query).executeTakeFirst();
  }

  async #setPassword(trx: Transaction<Tables>, userId: string, password: StoredPassword, at: Date): Promise<void> {
    await trx
      .updateTable('users')
      .set({ password_hash: password.hash, password_normalization: password.normalization, updated_at: at.getTime() })
      .where('id', '=', userId)
      .execute();
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
    try {
      return await operation();
    } catch (error) {
      const kind = this.#dialect.classifyError(error);
      if (kind === 'conflict') throw new StoreConflictError('a unique value is already taken', { cause: error });
      if (kind === 'unavailable') throw new StoreUnavailableError('the database is unavailable', { cause: error });
      throw error;
    }
  }
}

function fromUser(user: User): UsersTable {
  return {
    id: user.id,
    email: user.email,
    email_key: user.emailKey,
    password_hash: user.password.hash,
    password_normalization: user.password.normalization,
    created_at: user.createdAt.getTime(),
    updated_at: user.updatedAt.getTime(),
  };
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    emailKey: row.email_key,
    password: { hash: row.password_hash, normalization: toNormalization(row.password_normalization) },
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function fromSession(session: Session): SessionsTable {
  return {
    id: session.id,
    user_id: session.userId,
    kind: session.kind,
    token_hash: session.tokenHash,
    created_at: session.createdAt.getTime(),
    last_seen_at: session.lastSeenAt.getTime(),
    expires_at: session.expiresAt.getTime(),
  };
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    kind: toSessionKind(row.kind),
    tokenHash: row.token_hash,
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

function fromResetToken(token: ResetToken): ResetTokensTable {
  return {
    user_id: token.userId,
    token_hash: token.tokenHash,
    created_at: token.createdAt.getTime(),
    expires_at: token.expiresAt.getTime(),
  };
}

function toResetToken(row: Selectable<ResetTokensTable>): ResetToken {
  return {
    userId: row.user_id,
    tokenHash: row.token_hash,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

// Some drivers return 64-bit integers as strings or bigints; every engine stores the same number.
function toDate(value: number | string | bigint): Date {
  return new Date(Number(value));
}

function toNormalization(value: string): PasswordNormalization {
  if (value === 'none' || value === 'nfkc') return value;
  throw new Error(`unknown password normalisation in the database: ${value}`);
}

function toSessionKind(value: string): SessionKind {
  if (value === 'cookie' || value === 'token') return value;
  throw new Error(`unknown session kind in the database: ${value}`);
}
