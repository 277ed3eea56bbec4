import { isDeepStrictEqual } from 'node:util';
import { checkClaims, emailTaken, insertNewUser } from './accounts.js';
import { auditOrigin, type AdminAction, type AdminDoor } from './audit.js';
import { CacheUnavailableError } from './cache.js';
import type { CoreDeps } from './deps.js';
import { normalizeLoginIdentifier, toEmailKey } from './emails.js';
import { AuthError, invalidInput } from './errors.js';
import { checkNewPassword } from './password-rules.js';
import { isSameSecret } from './secrets.js';
import { liveSessionsOf, toSessionView, type SessionView } from './session-views.js';
import {
  StoreConflictError,
  type SessionRef,
  type User,
  type UserChanges,
  type UserClaims,
  type UserListQuery,
  type UserPosition,
} from './store.js';

/** The operator behind an admin call: which door they came through, and from where. */
export interface Operator {
  readonly door: AdminDoor;
  /** The client address (`cli` for the command line). */
  readonly address: string;
  /** The id of the operator's request; absent on the command line. */
  readonly requestId?: string;
  /** The operator's own user id, when they signed in as a user (the `console` door). */
  readonly operatorId?: string;
}

/** A user as an operator sees it. No password hash, ever. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly disabled: boolean;
  /** Its consecutive failed log-ins reached the hard limit: every password check is refused until an unlock, a reset or quiet. */
  readonly locked: boolean;
  readonly lastLoginAt: Date | null;
  readonly claims: UserClaims | null;
}


/**
 * A user named by id, by its identifier (an email or a username; its key is what is looked up),
 * or by either: `idOrIdentifier` is an id when a user has it, else an identifier.
 */
export type UserRef = { readonly id: string } | { readonly email: string } | { readonly idOrIdentifier: string };

export type UserState = 'active' | 'disabled' | 'locked';

export interface UserListRequest {
  readonly order: 'newest' | 'oldest';
  /** The `nextCursor` of the page before, or null for the first page. */
  readonly cursor: string | null;
  /** 1 to `MAX_PAGE_SIZE`. */
  readonly limit: number;
  /** Only users whose email, lower-cased, starts with this. */
  readonly emailPrefix: string | null;
  /** `active`: enabled and not locked. */
  readonly state: UserState | null;
}

export interface UserPage {
  readonly users: readonly UserView[];
  /**
   * Where the next page starts, opaque; null when there is none. Filtering by `locked` reads
   * a bounded number of rows per call, so a page may hold fewer users than asked (even none)
   * and still have a next one.
   */
  readonly nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface UserUpdate {
  /** false enables the user; true disables it and ends every session and refresh family at once. */
  readonly disabled?: boolean;
  /** Replaces the custom claims of future access tokens; null removes them. */
  readonly claims?: UserClaims | null;
  /** A new email: ends every session of the user (they sign in again with it). */
  readonly email?: string;
}

/**
 * What an operator can do to users and sessions (the admin API and the CLI). Every call that
 * changes something is an `admin_action` audit event naming the operator. A user that does
 * not exist is `user_not_found`; a session not live or not that user's, `session_not_found`.
 */
export interface Administration {
  /** Throws `invalid_client` unless `presented` is the configured admin token (compared in constant time). */
  authorizeAdmin(presented: string | null): void;

  listUsers(request: UserListRequest): Promise<UserPage>;

  getUser(ref: UserRef): Promise<UserView>;

  /** Registers a user as `register` does, without the registration limit. Throws `email_taken`, `invalid_input`. */
  createUser(email: string, password: string, operator: Operator): Promise<UserView>;

  /** Applies the changes in one step. Throws `email_taken`, `invalid_input`. */
  updateUser(ref: UserRef, update: UserUpdate, operator: Operator): Promise<UserView>;

  /** Sets a new password (the password rules apply) and ends every session of the user. */
  setPassword(ref: UserRef, password: string, operator: Operator): Promise<void>;

  /** Deletes the user and everything of theirs; tells the webhook receiver (`user.deleted`) when there is one. */
  deleteUser(ref: UserRef, operator: Operator): Promise<void>;

  /** The user's live sessions, newest first. */
  listSessions(ref: UserRef): Promise<SessionView[]>;

  endSession(ref: UserRef, sessionId: string, operator: Operator): Promise<void>;

  /** Ends every session of the user; returns how many ended. */
  endSessions(ref: UserRef, operator: Operator): Promise<number>;

  /** Clears the account's failed-attempt counters (shared and this process's). */
  unlock(ref: UserRef, operator: Operator): Promise<void>;
}

type AdminDeps = Pick<CoreDeps, 'clock' | 'hasher' | 'limits' | 'audit' | 'outbox'> & {
  readonly store: Pick<
    CoreDeps['store'],
    | 'findUserById'
    | 'findUserByEmailKey'
    | 'insertUser'
    | 'listUsers'
    | 'updateUser'
    | 'setPassword'
    | 'deleteUser'
    | 'listSessionDetails'
    | 'deleteSession'
    | 'deleteUserSessions'
  >;
  readonly config: Pick<CoreDeps['config'], 'adminToken' | 'password' | 'sessionIdleTimeoutSeconds' | 'sessionAbsoluteLifetimeSeconds' | 'singleCookieSession' | 'consoleSession'>;
};

// A page filtered by lock state reads this many rows per user asked for, at most: locks live in
// the attempt counters, not in the table, so the filter is applied to rows already read.
const LOCK_FILTER_READ_FACTOR = 10;

export function createAdministration(deps: AdminDeps): Administration {
  const { store, clock, hasher, limits, audit, outbox, config } = deps;
  const userNotFound = () => new AuthError('user_not_found', 'user not found');
  const sessionNotFound = () => new AuthError('session_not_found', 'session not found');
  const record = (operator: Operator, action: AdminAction, userId: string | null, more: { sessionId?: string; endedSessions?: number; changed?: false } = {}) =>
    audit({
      event: 'admin_action',
      action,
      userId,
      ...more,
      caller: operator.door,
      ...(operator.operatorId === undefined ? {} : { operatorId: operator.operatorId }),
      ...auditOrigin(operator),
    });
  // An operator signed in as a user would lock themselves out of the console by disabling or
  // deleting their own account, with no one left to undo it: the console refuses both.
  const refuseOwnAccount = (operator: Operator, user: User) => {
    if (operator.operatorId === user.id) throw invalidInput('an operator cannot disable or delete their own account from the console', 'own_account', null);
  };

  async function find(ref: UserRef): Promise<User> {
    const byIdentifier = (identifier: string) => store.findUserByEmailKey(normalizeLoginIdentifier(identifier).key);
    const user =
      'id' in ref
        ? await store.findUserById(ref.id)
        : 'email' in ref
          ? await byIdentifier(ref.email)
          : ((await store.findUserById(ref.idOrIdentifier)) ?? (await byIdentifier(ref.idOrIdentifier)));
    if (!user) throw userNotFound();
    return user;
  }

  async function views(users: readonly User[]): Promise<UserView[]> {
    if (users.length === 0) return [];
    const locked = await limits.lockedAccounts(users.map((user) => user.emailKey));
    return users.map((user, index) => toUserView(user, locked[index] ?? false));
  }

  // Wiping an account's counters after the account went or got a new password: the action has
  // happened, so a cache away must not fail it; the counters then fade on their own.
  async function forgetAttempts(emailKey: string): Promise<void> {
    try {
      await limits.unlock(emailKey);
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) throw error;
    }
  }

  return {
    authorizeAdmin(presented) {
      const expected = config.adminToken;
      if (expected === null || presented === null || !isSameSecret(presented, expected)) {
        throw new AuthError('invalid_client', 'the admin API needs the admin bearer token');
      }
    },

    async listUsers(request) {
      const after = request.cursor === null ? null : decodeCursor(request.cursor, request.order);
      const emailKeyPrefix = request.emailPrefix === null || request.emailPrefix === '' ? null : request.emailPrefix.toLowerCase();
      const byLock = request.state === 'active' || request.state === 'locked';
      const query: UserListQuery = {
        order: request.order,
        after,
        emailKeyPrefix,
        disabled: request.state === 'disabled' ? true : request.state === 'active' ? false : null,
        limit: byLock ? request.limit * LOCK_FILTER_READ_FACTOR : request.limit,
      };
      const rows = await store.listUsers(query);
      const all = await views(rows);
      const wanted = byLock ? all.filter((user) => user.locked === (request.state === 'locked')) : all;
      // Past the last row shown, or the last row read when the filter kept fewer than asked.
      const page = wanted.slice(0, request.limit);
      const isFull = page.length === request.limit && wanted.length > request.limit;
      const last = isFull ? rows.find((row) => row.id === page.at(-1)!.id)! : rows.at(-1);
      const hasMore = isFull || rows.length === query.limit;
      return { users: page, nextCursor: hasMore && last ? encodeCursor(request.order, last) : null };
    },

    async getUser(ref) {
      const [view] = await views([await find(ref)]);
      return view!;
    },

    async createUser(email, password, operator) {
      const emailKey = toEmailKey(email);
      checkNewPassword(password, 'password', config.password, email);
      if (await store.findUserByEmailKey(emailKey)) throw emailTaken();
      const user = await insertNewUser({ store, clock, hasher, config }, email, emailKey, password);
      record(operator, 'user.create', user.id);
      return toUserView(user, false);
    },

    async updateUser(ref, update, operator) {
      const user = await find(ref);
      if (update.claims !== undefined) checkClaims(update.claims);
      if (update.disabled === true) refuseOwnAccount(operator, user);
      const now = clock.now();
      const changes: UserChanges = {
        ...(update.email !== undefined && update.email !== user.email ? { email: { email: update.email, emailKey: toEmailKey(update.email) } } : {}),
        ...(update.disabled !== undefined && update.disabled !== (user.disabledAt !== null) ? { disabledAt: update.disabled ? now : null } : {}),
        ...(update.claims !== undefined && !isDeepStrictEqual(update.claims, user.claims) ? { claims: update.claims } : {}),
      };
      const isChange = Object.keys(changes).length > 0;
      let ended: readonly SessionRef[] | null;
      try {
        // Nothing to write leaves updated_at as it was: it tells when the user last changed.
        ended = isChange ? await store.updateUser(user.id, changes, now) : [];
      } catch (error) {
        if (error instanceof StoreConflictError) throw emailTaken();
        throw error;
      }
      if (!ended) throw userNotFound();
      // A call that changed nothing (a disable sent twice, an enable of an active user) is still
      // the operator's act: audited as asked, and marked, rather than as an update of nothing.
      const asked = update.disabled === undefined ? 'user.update' : update.disabled ? 'user.disable' : 'user.enable';
      const action = changes.disabledAt === undefined ? (isChange ? 'user.update' : asked) : changes.disabledAt === null ? 'user.enable' : 'user.disable';
      record(operator, action, user.id, { endedSessions: ended.length, ...(isChange ? {} : { changed: false as const }) });
      return this.getUser({ id: user.id });
    },

    async setPassword(ref, password, operator) {
      const user = await find(ref);
      checkNewPassword(password, 'password', config.password, user.email);
      const stored = await hasher.hash(password, config.password.normalization);
      const now = clock.now();
      const notice = outbox?.message({ type: 'password.changed', data: { user_id: user.id, email: user.email, reason: 'operator' } }, now);
      const ended = await store.setPassword(user.id, stored, now, notice);
      if (!ended) throw userNotFound();
      if (notice) outbox?.wake();
      // A new password starts the account afresh, as a reset does.
      await forgetAttempts(user.emailKey);
      record(operator, 'user.set_password', user.id, { endedSessions: ended.length });
    },

    async deleteUser(ref, operator) {
      const user = await find(ref);
      refuseOwnAccount(operator, user);
      const notice = outbox?.message({ type: 'user.deleted', data: { user_id: user.id, email: user.email } }, clock.now());
      const ended = await store.deleteUser(user.id, notice);
      if (!ended) throw userNotFound();
      if (notice) outbox?.wake();
      await forgetAttempts(user.emailKey);
      record(operator, 'user.delete', user.id, { endedSessions: ended.length });
    },

    async listSessions(ref) {
      const user = await find(ref);
      const sessions = await liveSessionsOf(store, user.id, clock.now(), config);
      return sessions.map((session) => toSessionView(session, config));
    },

    async endSession(ref, sessionId, operator) {
      const user = await find(ref);
      const sessions = await liveSessionsOf(store, user.id, clock.now(), config);
      const session = sessions.find((candidate) => candidate.id === sessionId);
      if (!session || !(await store.deleteSession(session))) throw sessionNotFound();
      record(operator, 'session.end', user.id, { sessionId });
    },

    async endSessions(ref, operator) {
      const user = await find(ref);
      const ended = await store.deleteUserSessions(user.id);
      record(operator, 'sessions.end_all', user.id, { endedSessions: ended.length });
      return ended.length;
    },

    async unlock(ref, operator) {
      const user = await find(ref);
      await limits.unlock(user.emailKey);
      record(operator, 'user.unlock', user.id);
    },
  };
}

function toUserView(user: User, locked: boolean): UserView {
  return {
    id: user.id,
    email: user.email,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    disabled: user.disabledAt !== null,
    locked,
    lastLoginAt: user.lastLoginAt,
    claims: user.claims,
  };
}

// A cursor is the position of the last user of a page and the order it was read in, base64url
// JSON: opaque to callers, and checked on the way back in, since they can send anything.
function encodeCursor(order: UserListRequest['order'], user: UserPosition): string {
  return Buffer.from(JSON.stringify([order, user.createdAt.getTime(), user.id])).toString('base64url');
}

function decodeCursor(cursor: string, order: UserListRequest['order']): UserPosition {
  const invalid = () => invalidInput('cursor is not one this listing gave', 'cursor_unknown', 'cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [cursorOrder, time, id] = parsed as unknown[];
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || typeof id !== 'string' || id.length > 64) throw invalid();
  if (cursorOrder !== order) throw invalidInput('cursor belongs to a listing in the other order', 'cursor_other_order', 'cursor');
  return { createdAt: new Date(time), id };
}
