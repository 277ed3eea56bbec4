import type { Kysely } from 'kysely';
import type { StoredKey } from '../../core/store.js';
import { fromKey, toKey } from './rows.js';
import type { Tables } from './tables.js';

/** Every stored key. */
export async function listKeys(db: Kysely<Tables>): Promise<StoredKey[]> {
  return (await db.selectFrom('keys').selectAll().execute()).map(toKey);
}

/** Inserts a key; a key already at its purpose and position fails the unique index. */
export async function insertKey(db: Kysely<Tables>, key: StoredKey): Promise<void> {
  await db.insertInto('keys').values(fromKey(key)).execute();
}
