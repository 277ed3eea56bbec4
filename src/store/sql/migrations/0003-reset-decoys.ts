import type { Kysely, Migration } from 'kysely';
import type { Columns } from '../dialects.js';

/**
 * A table of the reset tokens' own shape, indexes and all, with one row that a reset request
 * for an unknown email writes over (its `user_id` is empty: no user's). So an unknown email
 * costs the same upsert as a known one on every engine: on MySQL, updating no row instead
 * answered measurably sooner once the server was busy (ASVS 6.3.8).
 */
export function resetDecoysSchema(columns: Columns): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('reset_decoys')
        .addColumn('user_id', columns.key(22), (column) => column.primaryKey())
        .addColumn('token_hash', columns.key(64), (column) => column.notNull().unique())
        .addColumn('created_at', columns.time, (column) => column.notNull())
        .addColumn('expires_at', columns.time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('reset_decoys_expires_at').on('reset_decoys').column('expires_at').execute();
    },
  };
}
