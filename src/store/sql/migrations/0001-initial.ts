import type { Kysely, Migration } from 'kysely';
import type { Columns } from '../dialects.js';

/**
 * Users, sessions (tagged `cookie` or `token` from the start, with the refresh-token state of
 * token sessions), reset tokens and keys. Client secrets are never stored: token columns hold
 * SHA-256 hex digests. Times are epoch milliseconds, the same integer on every engine.
 */
export function initialSchema(columns: Columns): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', columns.key(22), (column) => column.primaryKey())
        .addColumn('email', columns.text, (column) => column.notNull())
        // Lower-casing can lengthen a 320-character email a little; 640 leaves room on every engine's index limit.
        .addColumn('email_key', columns.key(640), (column) => column.notNull().unique())
        .addColumn('password_hash', columns.key(255), (column) => column.notNull())
        .addColumn('password_normalization', columns.key(8), (column) => column.notNull())
        .addColumn('password_version', columns.integer, (column) => column.notNull())
        .addColumn('claims', columns.text)
        .addColumn('created_at', columns.time, (column) => column.notNull())
        .addColumn('updated_at', columns.time, (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', columns.key(22), (column) => column.primaryKey())
        .addColumn('user_id', columns.key(22), (column) => column.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', columns.key(8), (column) => column.notNull())
        .addColumn('token_hash', columns.key(64), (column) => column.unique())
        .addColumn('refresh_hash', columns.key(64))
        .addColumn('refresh_generation', columns.integer, (column) => column.notNull())
        .addColumn('refreshed_at', columns.time)
        .addColumn('created_at', columns.time, (column) => column.notNull())
        .addColumn('last_seen_at', columns.time, (column) => column.notNull())
        .addColumn('expires_at', columns.time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('sessions_user_kind').on('sessions').columns(['user_id', 'kind']).execute();
      // The purge looks sessions up by either end; without these it would scan every session.
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('sessions_last_seen_at').on('sessions').column('last_seen_at').execute();

      await db.schema
        .createTable('reset_tokens')
        .addColumn('user_id', columns.key(22), (column) => column.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', columns.key(64), (column) => column.notNull().unique())
        .addColumn('created_at', columns.time, (column) => column.notNull())
        .addColumn('expires_at', columns.time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('reset_tokens_expires_at').on('reset_tokens').column('expires_at').execute();

      await db.schema
        .createTable('keys')
        .addColumn('kid', columns.key(64), (column) => column.primaryKey())
        .addColumn('purpose', columns.key(16), (column) => column.notNull())
        .addColumn('position', columns.integer, (column) => column.notNull())
        .addColumn('algorithm', columns.key(16))
        .addColumn('public_jwk', columns.text)
        .addColumn('private_material', columns.text, (column) => column.notNull())
        .addColumn('created_at', columns.time, (column) => column.notNull())
        // One key per position and purpose: instances that generate a first key at once agree on one.
        .addUniqueConstraint('keys_purpose_position', ['purpose', 'position'])
        .execute();
    },
  };
}
