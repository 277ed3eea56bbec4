/**
 * What an import reads: rows of some source (a legacy app's table, a file, Sesame's export),
 * each reduced to the fields an import uses, in chunks, so that one await serves many rows.
 */
export interface Source {
  /** What is read, for the log: the kind of source, its table and its columns. */
  readonly description: string;
  /** The rows, a chunk at a time, in the source's order. */
  readonly chunks: AsyncIterable<readonly SourceRow[]>;
  /** How far the reading has got, from 0 to 1, or null when the source cannot tell. */
  progress(): number | null;
  /** Releases the file or connection. */
  close(): Promise<void>;
}

/** One user as a source holds it; values are unchecked, as read. */
export interface SourceRow {
  /** 1 for the first row (or line) read, then one more per row. */
  readonly position: number;
  /** How the source names the row in the report: `id=3`, `line 7`. */
  readonly ref: string;
  /** The login: an email, or a username. */
  readonly login: unknown;
  readonly hash: unknown;
  readonly createdAt: unknown;
  /** Set when the row came in Sesame's export format, whose other fields are kept. */
  readonly export: ExportFields | null;
  /** The legacy app had a live session or a pending reset token here (never imported). */
  readonly hasSession: boolean;
  readonly hasResetToken: boolean;
  /** Why the row could not even be read (a line that is not JSON), or null. */
  readonly unreadable: string | null;
}

/** The fields of Sesame's export format (`sesame export`) beyond a login and a hash. */
export interface ExportFields {
  readonly id: unknown;
  readonly passwordFormat: unknown;
  readonly normalization: unknown;
  readonly claims: unknown;
  readonly updatedAt: unknown;
  readonly disabledAt: unknown;
}

/** Which of a source's columns (or keys) hold what; null where it has none. */
export interface ColumnMap {
  readonly id: string | null;
  readonly login: string;
  readonly hash: string;
  readonly createdAt: string | null;
  readonly session: string | null;
  readonly resetToken: string | null;
}

/** Columns named on the command line, overriding what detection would pick. */
export interface ColumnChoice {
  readonly table?: string | undefined;
  readonly loginColumn?: string | undefined;
  readonly hashColumn?: string | undefined;
}

/** Where the known layouts keep their users (see docs/import.md), in order of preference. */
export const USER_TABLES = ['users', 'user', 'auth_user', 'accounts'];
const LOGIN_COLUMNS = ['email', 'username', 'login', 'user_name'];
const HASH_COLUMNS = ['password_hash', 'hashed_password', 'password', 'passwd', 'hash'];
const CREATED_COLUMNS = ['created_at', 'registration_timestamp', 'date_joined', 'created'];

/** A source that cannot be imported as it stands (no users table, no hash column): the message says what to pass. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/**
 * The column map for `columns` (a table's, or a file's keys): the ones `choice` names, which
 * must exist, else the first of each known name, case-insensitively.
 */
export function mapColumns(columns: readonly string[], choice: ColumnChoice, where: string): ColumnMap {
  const find = (names: readonly string[]) => names.map((name) => columns.find((column) => column.toLowerCase() === name)).find((found) => found !== undefined) ?? null;
  const named = (name: string | undefined, flag: string, known: readonly string[]): string => {
    if (name !== undefined) {
      if (!columns.includes(name)) throw new SourceError(`${where} has no column ${name} (${flag}); it has: ${columns.join(', ')}`);
      return name;
    }
    const found = find(known);
    if (found === null) throw new SourceError(`${where} has none of the columns ${known.join(', ')}: name one with ${flag}`);
    return found;
  };
  return {
    id: find(['id']),
    login: named(choice.loginColumn, '--email-column', LOGIN_COLUMNS),
    hash: named(choice.hashColumn, '--hash-column', HASH_COLUMNS),
    createdAt: find(CREATED_COLUMNS),
    session: find(['session_id']),
    resetToken: find(['reset_token']),
  };
}

/** The users table among `tables`: the one `choice` names, which must exist, else the first known name. */
export function pickTable(tables: readonly string[], choice: ColumnChoice, where: string): string {
  if (choice.table !== undefined) {
    if (!tables.includes(choice.table)) throw new SourceError(`${where} has no table ${choice.table}; it has: ${tables.join(', ') || 'none'}`);
    return choice.table;
  }
  const found = USER_TABLES.map((name) => tables.find((table) => table.toLowerCase() === name)).find((table) => table !== undefined);
  if (found === undefined) throw new SourceError(`${where} has none of the tables ${USER_TABLES.join(', ')}: name one with --table`);
  return found;
}

// A column counts as holding a session or token when it is neither null nor empty.
const isSet = (value: unknown) => value !== null && value !== undefined && value !== '';

/** A row of a table or a generic file, read through `map`; `position` counts from 1. */
export function rowOf(record: Readonly<Record<string, unknown>>, map: ColumnMap, position: number, ref: string): SourceRow {
  return {
    position,
    ref: map.id !== null && isSet(record[map.id]) ? `${map.id}=${String(record[map.id])}` : ref,
    login: record[map.login],
    hash: record[map.hash],
    createdAt: map.createdAt === null ? undefined : record[map.createdAt],
    export: null,
    hasSession: map.session !== null && isSet(record[map.session]),
    hasResetToken: map.resetToken !== null && isSet(record[map.resetToken]),
    unreadable: null,
  };
}

/** A row that could not be read at all. */
export function unreadableRow(position: number, ref: string, reason: string): SourceRow {
  return { position, ref, login: undefined, hash: undefined, createdAt: undefined, export: null, hasSession: false, hasResetToken: false, unreadable: reason };
}

/** How many rows a chunk holds: large enough that a chunk's await is noise, small enough to stay light. */
export const CHUNK_ROWS = 1000;
