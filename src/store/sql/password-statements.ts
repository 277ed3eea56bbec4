import type { Kysely, Transaction } from 'kysely';
import type { OutboxMessage, ResetToken, SessionRef, Store, StoredPassword } from '../../core/store.js';
import type { SqlDialect } from './dialects.js';
import { placeholders } from './named-statement.js';
import { insertMessage } from './outbox.js';
import { decoyOf, fromResetToken, toResetToken } from './rows.js';
import { compileEnding, type Ending } from './session-insert.js';
import type { Tables } from './tables.js';

/** Password changes and resets, and the reset tokens a reset consumes: their part of the `Store`. */
export class PasswordStatements {
  readonly #db: Kysely<Tables>;
  readonly #dialect: SqlDialect;
  // What a password change ends, every other session of the user; a reset or an operator's new password, all.
  readonly #endOtherSessions: Ending<{ userId: string; keepSessionId: string }>;
  readonly #endUserSessions: Ending<{ userId: string }>;

  constructor(db: Kysely<Tables>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
    const others = placeholders<{ userId: string; keepSessionId: string }>();
    this.#endOtherSessions = compileEnding(db, dialect, others, (eb) => eb.and([eb('user_id', '=', others.userId), eb('id', '!=', others.keepSessionId)]));
    const all = placeholders<{ userId: string }>();
    this.#endUserSessions = compileEnding(db, dialect, all, (eb) => eb('user_id', '=', all.userId));
  }

  /** `Store.changePassword`, inside the transaction `trx`. */
  async change(
    trx: Transaction<Tables>,
    ...[userId, expectedVersion, password, keepSessionId, at, notice]: Parameters<Store['changePassword']>
  ): Promise<SessionRef[] | null> {
    const changed = await setNewPassword(trx, userId, password, at)
      .where('password_version', '=', expectedVersion)
      .where((eb) =>
        eb.exists(eb.selectFrom('sessions').select('sessions.id').where('sessions.id', '=', keepSessionId).where('sessions.user_id', '=', userId)),
      )
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return null;
    // The update above holds the user's row lock, as ending sessions requires.
    const ended = await this.#endOtherSessions(trx, { userId, keepSessionId });
    await trx.deleteFrom('reset_tokens').where('user_id', '=', userId).execute();
    if (notice) await insertMessage(trx, notice);
    return ended;
  }

  /** `Store.setPassword`, inside the transaction `trx`. */
  async set(trx: Transaction<Tables>, userId: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<SessionRef[] | null> {
    const changed = await setNewPassword(trx, userId, password, at).executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return null;
    // The update above holds the user's row lock, as ending sessions requires.
    const ended = await this.#endUserSessions(trx, { userId });
    await trx.deleteFrom('reset_tokens').where('user_id', '=', userId).execute();
    if (notice) await insertMessage(trx, notice);
    return ended;
  }

  /** `Store.resetPassword`, inside the transaction `trx`. */
  async reset(trx: Transaction<Tables>, userId: string, tokenHash: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<SessionRef[] | null> {
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
    await setNewPassword(trx, userId, password, at).execute();
    const ended = await this.#endUserSessions(trx, { userId });
    if (notice) await insertMessage(trx, notice);
    return ended;
  }

  /** `Store.saveResetToken`. */
  saveResetToken(token: ResetToken): Promise<void> {
    return this.#upsertResetToken(this.#db, 'reset_tokens', token);
  }

  /** `Store.saveResetRequest`, inside the transaction `trx`. */
  async saveResetRequest(trx: Transaction<Tables>, token: ResetToken | null, message: OutboxMessage): Promise<void> {
    // An unknown email writes the same upsert on a table of the same shape (migration 0003).
    if (token) await this.#upsertResetToken(trx, 'reset_tokens', token);
    else await this.#upsertResetToken(trx, 'reset_decoys', decoyOf(message));
    await insertMessage(trx, message);
  }

  /** `Store.findResetTokenByHash`. */
  async findResetToken(tokenHash: string): Promise<ResetToken | null> {
    const row = await this.#db.selectFrom('reset_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toResetToken(row) : null;
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
}

/** Sets a new password, counting it in the user's password version; callers add their conditions. */
function setNewPassword(trx: Transaction<Tables>, userId: string, password: StoredPassword, at: Date) {
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
