import type { ColumnDataType, Dialect, Expression, Kysely } from 'kysely';
import type { SessionWithEmail } from '../../core/store.js';
import type { NamedStatement, Runner } from './named-statement.js';

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
  /** True when an index can hold only the rows a WHERE clause picks (SQLite, PostgreSQL); MySQL has no partial indexes. */
  readonly hasPartialIndexes: boolean;
  /** How to insert-or-replace: `ON CONFLICT … DO UPDATE` or `ON DUPLICATE KEY UPDATE`. */
  readonly upsert: 'on-conflict' | 'on-duplicate-key';
  /** Sorts an engine error into a unique-key conflict, an unavailable database, or neither (a bug). */
  classifyError(error: unknown): 'conflict' | 'unavailable' | null;
  /**
   * How long one store operation may take before it is answered as unavailable, or null when
   * operations cannot hang (SQLite runs in-process). The operation itself is not cancelled
   * here: the driver's own query timeout, the same, ends it and its connection is discarded.
   */
  readonly deadlineMs: number | null;
  /** The engine's way with the hottest reads, on `db` where it has no faster one. */
  openFastReads(db: Runner): FastReads;
  /** Connections of the pool in use now, on an engine with a pool (PostgreSQL, MySQL). */
  poolInUse?(): number;
  /** Sessions served from the process's exact copy, and read instead, where there is one (SQLite). */
  sessionCacheCounts?(): { readonly hits: number; readonly misses: number };
}

/**
 * How an engine serves the hottest reads, the session check's and the log-in's: past Kysely's
 * connection layers, or from an exact copy in the process, where it can. Kysely plugins and
 * logging may not see them.
 */
export interface FastReads {
  /** The rows of `statement` for `params`, run on its own, outside any transaction. */
  rows<Row, P>(statement: NamedStatement<Row, P>, params: P): Promise<Row[]>;
  /** The session under `key`: read with `load`, or a copy kept in the process while it is provably current. */
  session(key: string, load: () => Promise<SessionWithEmail | null>): Promise<SessionWithEmail | null>;
  /** Releases what the reads hold of their own (Kysely may never have used it), when the store closes. */
  close(): Promise<void>;
}

/** The hottest reads as any other: through Kysely on `db`, nothing kept. */
export function readsThroughKysely(db: Runner): FastReads {
  return {
    rows: (statement, params) => statement.run(db, params),
    session: (_key, load) => load(),
    close: () => Promise.resolve(),
  };
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
