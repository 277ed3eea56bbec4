import type { Kysely, Transaction } from 'kysely';
import type { OutboxMessage, SessionRef, UserChanges } from '../../core/store.js';
import type { SqlDialect } from './dialects.js';
import { compileNamed, placeholders, type NamedStatement } from './named-statement.js';
import { insertMessage } from './outbox.js';
import { fromUserChanges } from './rows.js';
import { compileEnding, type Ending } from './session-insert.js';
import type { Tables } from './tables.js';

/**
 * An operator's writes on one user (changes, deletion, ending every session): their part of
 * the `Store`. Each runs in the caller's transaction and first takes the user's row lock, as
 * every log-in does, so a log-in is wholly before or wholly after it: a disable or a deletion
 * leaves no session behind, and ending sessions may read, then delete (MySQL).
 */
export class OperatorStatements {
  readonly #lockUser: NamedStatement<{ id: string }, { userId: string }>;
  readonly #endUserSessions: Ending<{ userId: string }>;

  constructor(db: Kysely<Tables>, dialect: SqlDialect) {
    const user = placeholders<{ userId: string }>();
    const select = db.selectFrom('users').select('id').where('id', '=', user.userId);
    this.#lockUser = compileNamed(dialect.hasRowLocks ? select.forUpdate() : select, user);
    const all = placeholders<{ userId: string }>();
    this.#endUserSessions = compileEnding(db, dialect, all, (eb) => eb('user_id', '=', all.userId));
  }

  /** `Store.updateUser`, inside the transaction `trx`. */
  async updateUser(trx: Transaction<Tables>, userId: string, changes: UserChanges, at: Date): Promise<SessionRef[] | null> {
    if (!(await this.#isLocked(trx, userId))) return null;
    // A taken email key fails here on the unique index: the guard answers StoreConflictError
    // and the transaction, rolled back, has changed nothing.
    await trx.updateTable('users').set(fromUserChanges(changes, at)).where('id', '=', userId).execute();
    // Disabling or moving the account to another email ends its sessions (ASVS 7.4.2).
    const isEnding = changes.email !== undefined || (changes.disabledAt !== undefined && changes.disabledAt !== null);
    return isEnding ? this.#endUserSessions(trx, { userId }) : [];
  }

  /** `Store.deleteUser`, inside the transaction `trx`. */
  async deleteUser(trx: Transaction<Tables>, userId: string, notice?: OutboxMessage): Promise<SessionRef[] | null> {
    if (!(await this.#isLocked(trx, userId))) return null;
    // Ended by name rather than by the foreign keys' cascade: the caller must hear which
    // sessions went, to drop them from the caches.
    const ended = await this.#endUserSessions(trx, { userId });
    await trx.deleteFrom('reset_tokens').where('user_id', '=', userId).execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    if (notice) await insertMessage(trx, notice);
    return ended;
  }

  /** `Store.deleteUserSessions`, inside the transaction `trx`. */
  async deleteUserSessions(trx: Transaction<Tables>, userId: string): Promise<SessionRef[]> {
    if (!(await this.#isLocked(trx, userId))) return [];
    return this.#endUserSessions(trx, { userId });
  }

  // Takes the user's row lock (on SQLite the transaction already holds the database); false
  // when there is no such user.
  async #isLocked(trx: Transaction<Tables>, userId: string): Promise<boolean> {
    return (await this.#lockUser.run(trx, { userId })).length > 0;
  }
}
