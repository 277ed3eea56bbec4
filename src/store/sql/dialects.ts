import type { ColumnDataType, Dialect, Expression, Kysely } from 'kysely';
import type { SessionWithEmail } from '../../core/store.js';

/** A column type as Kysely's schema builder takes it. */
export type ColumnType = ColumnDataType | Expression<unknown>;

/** Column types of an engine. */
export interface Columns {
  /** Ids, hashes and email keys: compared byte for byte, trailing spaces included. */
  key(length: number): ColumnType;
  /** Free text (emails as given, keys' JSON and PEM). */
  readonly text: ColumnType;
  /** Milliseconds since the epoch. */
  readonly time: ColumnType;
  /** A small counter. */
  readonly integer: ColumnType;
}

/** What the store and the migrations need to know about an engine, as capabilities rather than names. */
export interface SqlDialect {
  /** The Kysely dialect to talk to the engine with. */
  readonly kysely: Dialect;
  /** The engine's column types; some engines are asked which collations they have. */
  columns(db: Kysely<unknown>): Promise<Columns>;
  /**
   * True when `SELECT … FOR UPDATE` is needed to serialise the writers of one user's rows.
   * SQLite has no row locks and needs none: a write transaction holds the whole database.
   */
  readonly hasRowLocks: boolean;
  /** True when `DELETE … RETURNING` returns the rows it deleted (SQLite 3.35+, PostgreSQL); MySQL has no such clause. */
  readonly deleteReturning: boolean;
  /** How to insert-or-replace: `ON CONFLICT … DO UPDATE` or `ON DUPLICATE KEY UPDATE`. */
  readonly upsert: 'on-conflict' | 'on-duplicate-key';
  /** Sorts an engine error into a unique-key conflict, an unavailable database, or neither (a bug). */
  classifyError(error: unknown): 'conflict' | 'unavailable' | null;
  /**
   * How long one store operation may take before it is answered as unavailable, or null when
   * operations cannot hang (SQLite runs in-process). The operation itself is not cancelled
   * here: on PostgreSQL the driver's query timeout ends it and its connection is discarded;
   * on MySQL its connection comes back to the pool when the server answers or the socket dies.
   */
  readonly deadlineMs: number | null;
  /**
   * An in-process copy of the sessions read, for an engine that can tell when it went stale
   * (SQLite); null where it cannot (a server shared with other machines).
   */
  readonly sessionReads: SessionReads | null;
  /** Single reads straight on the engine's driver, past Kysely; null where they run through Kysely. */
  readonly direct: DirectQueries | null;
}

/**
 * Statements run on their own, outside any transaction, straight on the engine's driver: for
 * the hottest reads, where Kysely's connection layers cost more than the rest of Sesame's side.
 * Kysely plugins and logging do not see them.
 */
export interface DirectQueries {
  /** The rows of `sql` with `parameters`, as Kysely would return them. */
  query(sql: string, parameters: readonly unknown[]): Promise<unknown[]>;
  /** Ends the connections the queries run on, when the store closes (Kysely may never have used them). */
  end(): Promise<void>;
}

/** Sessions kept in the process, served only when the database cannot have changed since they were read. */
export interface SessionReads {
  /** The session under `key`: kept, when it is proven current, or read with `load` (and kept). */
  read(key: string, load: () => Promise<SessionWithEmail | null>): Promise<SessionWithEmail | null>;
}

// Node's own network errors: the database cannot be reached.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The `code` of a driver or network error, if it has one. */
export function errorCode(error: unknown): string | null {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}

/**
 * A copy of a driver error that keeps its name, code and message and drops what drivers add
 * beside them (mysql2's `sql` with the values written in, pg's `detail`, ioredis's command
 * arguments): whatever reaches a log must not carry a password hash or a token hash.
 */
export function withoutStatement(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = new Error(error.message);
  copy.name = error.name;
  const code = errorCode(error);
  if (code !== null) Object.assign(copy, { code });
  return copy;
}

/** True for errors that mean the network path to the database is down. */
export function isNetworkError(error: unknown): boolean {
  return NETWORK_CODES.has(errorCode(error) ?? '');
}
