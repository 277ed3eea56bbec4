import type { Transaction } from 'kysely';
import type { ImportOptions, ImportOutcome, User } from '../../core/store.js';
import type { SqlDialect } from './dialects.js';
import { fromUser } from './rows.js';
import type { Tables } from './tables.js';

/** Thrown inside a dry run's transaction to roll it back, carrying what it would have done. */
export class DryRunRollback extends Error {
  override readonly name = 'DryRunRollback';
  constructor(readonly outcomes: ImportOutcome[]) {
    super('dry run: rolled back');
  }
}

/**
 * `Store.importUsers` inside the transaction `trx`: one read of the batch's email keys (under
 * row locks where the engine has them, when updating), one multi-row insert of the new users,
 * and per existing user, with `update`, one update and the end of their sessions and reset
 * token. A registration that takes one of the keys meanwhile fails the insert on the unique
 * index, and the whole batch with it: the caller retries, and finds it existing.
 */
export async function importUserBatch(trx: Transaction<Tables>, dialect: SqlDialect, users: readonly User[], options: ImportOptions): Promise<ImportOutcome[]> {
  const keys = users.map((user) => user.emailKey);
  let select = trx.selectFrom('users').select(['id', 'email_key']).where('email_key', 'in', keys);
  if (options.update && dialect.hasRowLocks) select = select.forUpdate();
  const existing = new Map((await select.execute()).map((row) => [row.email_key, row.id]));
  const fresh = users.filter((user) => !existing.has(user.emailKey));
  if (fresh.length > 0) await trx.insertInto('users').values(fresh.map(fromUser)).execute();
  const outcomes: ImportOutcome[] = [];
  for (const user of users) {
    const id = existing.get(user.emailKey);
    if (id === undefined) outcomes.push('inserted');
    else if (!options.update) outcomes.push('skipped');
    else {
      await updateExisting(trx, id, user);
      outcomes.push('updated');
    }
  }
  if (options.dryRun) throw new DryRunRollback(outcomes);
  return outcomes;
}

// The imported email and password replace the stored ones as an operator's changes would: the
// version moves on (a log-in checked against the old hash starts no session), sessions and the
// reset token end. Claims and the disabled state stay Sesame's own.
async function updateExisting(trx: Transaction<Tables>, id: string, user: User): Promise<void> {
  await trx
    .updateTable('users')
    .set((eb) => ({
      email: user.email,
      password_hash: user.password.hash,
      password_normalization: user.password.normalization,
      password_version: eb('password_version', '+', 1),
      updated_at: user.updatedAt.getTime(),
    }))
    .where('id', '=', id)
    .execute();
  await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
  await trx.deleteFrom('reset_tokens').where('user_id', '=', id).execute();
}
