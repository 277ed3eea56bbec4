import type { ColumnDataType, Dialect, Expression } from 'kysely';

/** A column type as Kysely's schema builder takes it. */
export type ColumnType = ColumnDataType | Expression<unknown>;

/** What the store and the migrations need to know about an engine, as capabilities rather than names. */
export interface SqlDialect {
  /** The Kysely dialect to talk to the engine with. */
  readonly kysely: Dialect;
  /** Column types: `key(n)` holds ids, hashes and email keys and compares byte for byte. */
  readonly columns: {
    key(length: number): ColumnType;
    /** Free text (emails as given). */
    readonly text: ColumnType;
    /** Milliseconds since the epoch. */
    readonly time: ColumnType;
    /** A small counter. */
    readonly integer: ColumnType;
  };
  /** Sorts an engine error into a unique-key conflict, an unavailable database, or neither (a bug). */
  classifyError(error: unknown): 'conflict' | 'unavailable' | null;
}
