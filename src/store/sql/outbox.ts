import type { Kysely, Transaction } from 'kysely';
import type { OutboxMessage } from '../../core/store.js';
import { fromMessage, toMessage } from './rows.js';
import type { Tables } from './tables.js';

/** Adds a message inside the caller's transaction, beside the write it tells of. */
export async function insertMessage(trx: Transaction<Tables>, message: OutboxMessage): Promise<void> {
  await trx.insertInto('outbox').values(fromMessage(message)).execute();
}

/**
 * Claims due messages: reads a batch, then moves each one's next attempt to `leaseUntilMs`
 * only if it is still what was read (compare-and-set). A message another instance claimed in
 * between fails the condition and is left to it. Portable: no SKIP LOCKED, no RETURNING.
 */
export async function claimMessages(db: Kysely<Tables>, nowMs: number, leaseUntilMs: number, limit: number): Promise<OutboxMessage[]> {
  const due = await db
    .selectFrom('outbox')
    .selectAll()
    .where('next_attempt_at', '<=', nowMs)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  const claimed: OutboxMessage[] = [];
  for (const row of due) {
    const result = await db
      .updateTable('outbox')
      .set({ next_attempt_at: leaseUntilMs })
      .where('id', '=', row.id)
      .where('next_attempt_at', '=', row.next_attempt_at)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) claimed.push(toMessage(row));
  }
  return claimed;
}

/** Removes a delivered message. */
export async function deleteMessage(db: Kysely<Tables>, id: string): Promise<void> {
  await db.deleteFrom('outbox').where('id', '=', id).execute();
}

/** Records a failed delivery: how many so far, and when (`nextAttemptAtMs`) to try again. */
export async function rescheduleMessage(db: Kysely<Tables>, id: string, attempts: number, nextAttemptAtMs: number): Promise<void> {
  await db.updateTable('outbox').set({ attempts, next_attempt_at: nextAttemptAtMs }).where('id', '=', id).execute();
}
