import type { Kysely, Migration } from 'kysely';
import type { Columns } from '../dialects.js';

/**
 * What operators see and change: when a user was disabled and last signed in, where each
 * session was started from, and an index on (created_at, id) that serves the keyset walk of
 * the user listing in both orders. One column per statement: SQLite adds one at a time.
 */
export function operatorsSchema(columns: Columns): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('disabled_at', columns.time).execute();
      await db.schema.alterTable('users').addColumn('last_login_at', columns.time).execute();
      // The longest IPv6 text is 45 characters; the rest leaves room for a zone.
      await db.schema.alterTable('sessions').addColumn('client_address', columns.key(64)).execute();
      // A bounded varchar where the engine bounds one (in utf8mb4 on MySQL), counted in
      // characters as the core cuts the header; SQLite keeps it as text.
      await db.schema.alterTable('sessions').addColumn('user_agent', columns.key(256)).execute();
      await db.schema.createIndex('users_created_at_id').on('users').columns(['created_at', 'id']).execute();
    },
  };
}
