import type { AdminDoor } from './audit.js';
import type { SessionKind, UserClaims } from './store.js';

/** The operator behind an admin call: which door they came through, and from where. */
export interface Operator {
  readonly door: AdminDoor;
  /** The client address (`cli` for the command line). */
  readonly address: string;
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

/** A live session as its user and operators see it. Never a token or a hash of one. */
export interface SessionView {
  readonly id: string;
  readonly kind: SessionKind;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** When it ends at the latest: the sooner of its absolute end and its idle end. */
  readonly expiresAt: Date;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

/** A user named by id or by email (its key is what is looked up). */
export type UserRef = { readonly id: string } | { readonly email: string };

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
