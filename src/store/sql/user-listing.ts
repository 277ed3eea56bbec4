import type { Kysely } from 'kysely';
import type { User, UserListQuery } from '../../core/store.js';
import { toUser } from './rows.js';
import type { Tables } from './tables.js';

/**
 * `Store.listUsers`: one keyset page, read along the index on (created_at, id) in either
 * direction and stopped at the limit, so a page costs the same at any depth and a row that
 * exists throughout a walk is neither skipped nor repeated, whatever is added or removed.
 * The query's shape varies with its filters (a few dozen texts at most), so it is built per call.
 */
export async function listUsers(db: Kysely<Tables>, query: UserListQuery): Promise<User[]> {
  const direction = query.order === 'newest' ? 'desc' : 'asc';
  let select = db.selectFrom('users').selectAll();
  if (query.after !== null) {
    const createdAt = query.after.createdAt.getTime();
    const [from, beyond] = query.order === 'newest' ? (['<=', '<'] as const) : (['>=', '>'] as const);
    // (created_at, id) strictly beyond the position, written out rather than as a row-value
    // comparison so that every engine (MariaDB too) starts its index range at created_at.
    select = select.where('created_at', from, createdAt).where((eb) => eb.or([eb('created_at', beyond, createdAt), eb('id', beyond, query.after!.id)]));
  }
  if (query.emailKeyPrefix !== null && query.emailKeyPrefix !== '') {
    // A range rather than LIKE: exact on every engine's byte-exact key column (SQLite's LIKE
    // ignores ASCII case), with no wildcard to escape, and served by the email key's index.
    select = select.where('email_key', '>=', query.emailKeyPrefix);
    const end = prefixEnd(query.emailKeyPrefix);
    if (end !== null) select = select.where('email_key', '<', end);
  }
  if (query.disabled !== null) select = select.where('disabled_at', query.disabled ? 'is not' : 'is', null);
  const rows = await select.orderBy('created_at', direction).orderBy('id', direction).limit(query.limit).execute();
  return rows.map(toUser);
}

/**
 * The least string above every string that starts with `prefix`, in code point order, or null
 * when there is none (every code point of `prefix` is U+10FFFF). Code point order is the
 * order of the key columns on every engine: SQLite and PostgreSQL's "C" compare UTF-8 bytes,
 * which sort as their code points do, and MySQL's binary utf8mb4 collations compare either.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // No stored string holds a surrogate (UTF-8 cannot): the next code point is U+E000.
      const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}
