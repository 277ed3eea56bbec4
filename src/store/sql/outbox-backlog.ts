import type { Kysely } from 'kysely';
import type { Tables } from './tables.js';

/** Outbox messages waiting, and when the oldest was written: one aggregate over a table that stays small. */
export async function outboxBacklog(db: Kysely<Tables>): Promise<{ waiting: number; oldestCreatedAt: Date | null }> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => [eb.fn.countAll().as('waiting'), eb.fn.min('created_at').as('oldest')])
    .executeTakeFirstOrThrow();
  // Engines answer a count and a bigint as a number, a string or a bigint.
  const oldest = row.oldest === null ? null : Number(row.oldest);
  return { waiting: Number(row.waiting), oldestCreatedAt: oldest === null ? null : new Date(oldest) };
}
