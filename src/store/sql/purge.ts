import type { Kysely } from 'kysely';
import type { Tables } from './tables.js';

// Rows purged per statement: large enough to be quick, small enough to never hold the write lock for long.
export const PURGE_BATCH = 500;

/**
 * Deletes at most one batch of sessions past their absolute expiry (`nowMs`) or idle since
 * `idleMs`. Selects then deletes by id, re-checking the condition: portable to engines that
 * cannot LIMIT a DELETE or a subquery, and exact even if a row changed in between. Returns
 * how many it selected and how many it deleted.
 */
export async function purgeSessionBatch(db: Kysely<Tables>, nowMs: number, idleMs: number): Promise<{ selected: number; deleted: number }> {
  const batch = await db
    .selectFrom('sessions')
    .select('id')
    .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<=', idleMs)]))
    .limit(PURGE_BATCH)
    .execute();
  if (batch.length === 0) return { selected: 0, deleted: 0 };
  const result = await db
    .deleteFrom('sessions')
    .where(
      'id',
      'in',
      batch.map((row) => row.id),
    )
    .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<=', idleMs)]))
    .executeTakeFirst();
  return { selected: batch.length, deleted: Number(result.numDeletedRows) };
}

/** Deletes the reset tokens expired at `nowMs`; returns how many. */
export async function purgeResetTokens(db: Kysely<Tables>, nowMs: number): Promise<number> {
  const result = await db.deleteFrom('reset_tokens').where('expires_at', '<=', nowMs).executeTakeFirst();
  return Number(result.numDeletedRows);
}
