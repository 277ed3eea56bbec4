import { sql, type Kysely, type Migration } from 'kysely';

/**
 * An index for the listing of disabled users: without one, a page of them at a million users
 * read the whole (created_at, id) index looking for the few. Where the engine can, it holds
 * the disabled users alone, in the listing's (created_at, id) order, so a page of them reads
 * as few rows as any page and signing in or up never writes to it. MySQL has no partial
 * index: there it leads with disabled_at, which serves both states (a range for the disabled,
 * the NULL entries in (created_at, id) order for the active).
 */
export function disabledUsersIndex(hasPartialIndexes: boolean): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const index = db.schema.createIndex('users_disabled').on('users');
      await (hasPartialIndexes ? index.columns(['created_at', 'id']).where(sql.ref('disabled_at'), 'is not', null) : index.columns(['disabled_at', 'created_at', 'id'])).execute();
    },
  };
}
