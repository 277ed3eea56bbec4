import { identifyPasswordHash } from './legacy-hashes.js';
import type { PasswordNormalization, Store, User, UserClaims, UserPosition } from './store.js';

/** The name and version of the export format (docs/export-backup.md), on every line. */
export const USER_EXPORT_FORMAT = 'sesame-users/1';

/** One user as `sesame export` writes it: one JSON object a line, these keys in this order. */
export interface ExportedUser {
  readonly format: typeof USER_EXPORT_FORMAT;
  readonly id: string;
  readonly email: string;
  /** The stored hash, byte for byte. */
  readonly password_hash: string;
  /** The hash's scheme, read from its prefix: `argon2id`, `bcrypt`…, or `unknown`. */
  readonly password_format: string;
  readonly normalization: PasswordNormalization;
  /** The custom claims of the user's access tokens, or null when none were set (distinct from `{}`, as stored). */
  readonly claims: UserClaims | null;
  /** ISO 8601 in UTC with milliseconds. */
  readonly created_at: string;
  readonly updated_at: string;
  readonly disabled_at: string | null;
}

/** The scheme of a stored password hash as the log-in's verifier names it; `unknown` for a hash it cannot verify. */
export function passwordFormatOf(hash: string): string {
  const identity = identifyPasswordHash(hash);
  return identity.usable ? identity.format : 'unknown';
}

/** A user as the export format writes it. Nothing of their sessions, tokens or the service's keys is on the user. */
export function toExportedUser(user: User): ExportedUser {
  return {
    format: USER_EXPORT_FORMAT,
    id: user.id,
    email: user.email,
    password_hash: user.password.hash,
    password_format: passwordFormatOf(user.password.hash),
    normalization: user.password.normalization,
    claims: user.claims,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    disabled_at: user.disabledAt?.toISOString() ?? null,
  };
}

/** Users read a page at a time: enough to amortise a query, few enough to keep memory flat. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * Every user, oldest first, walked a keyset page at a time, so memory stays flat whatever the
 * count. The walk is not a snapshot: a user who exists throughout it is exported exactly
 * once, one created or deleted meanwhile may or may not be.
 */
export async function* exportUsers(store: Pick<Store, 'listUsers'>, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<ExportedUser> {
  let after: UserPosition | null = null;
  for (;;) {
    const page = await store.listUsers({ order: 'oldest', after, emailKeyPrefix: null, disabled: null, limit: pageSize });
    for (const user of page) yield toExportedUser(user);
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
