import type { Kysely, Migration } from 'kysely';
import type { Columns } from '../dialects.js';

/**
 * The outbox: messages for the webhook receiver (reset tokens, password-change notices),
 * written in the transaction of the change they tell of and removed once delivered. The
 * payload is sealed. Delivery looks rows up by when they are next due.
 */
export function outboxSchema(columns: Columns): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbox')
        .addColumn('id', columns.key(22), (column) => column.primaryKey())
        .addColumn('payload', columns.text, (column) => column.notNull())
        .addColumn('created_at', columns.time, (column) => column.notNull())
        .addColumn('attempts', columns.integer, (column) => column.notNull())
        .addColumn('next_attempt_at', columns.time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('outbox_next_attempt_at').on('outbox').column('next_attempt_at').execute();
    },
  };
}
