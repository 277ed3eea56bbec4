import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { readsThroughKysely, type SqlDialect } from '../dialects.js';
import { CachingSqliteDialect } from './sqlite-driver.js';
import { SqliteSessionReads } from './sqlite-reads.js';

// Codes of the better-sqlite3 errors that mean "cannot serve now", not "the query is wrong".
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB)/;
// Sessions kept in the process: about 300 bytes each, so 3 MB at most. A session checked
// again within the moment between two writes is served from memory; the others are read.
const SESSION_READS = 10_000;

/**
 * The SQLite file at `path` (or `:memory:`), opened (created with its folder if needed) at the
 * first query.
 * WAL with `synchronous=FULL`: every commit is on disk before it is acknowledged, so a crash
 * loses no answered write; readers never wait for the writer.
 */
export function openSqlite(path: string): SqlDialect {
  const sessionReads = new SqliteSessionReads(SESSION_READS);
  const open = () => {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    // Another process (`sesame gc`, `sesame migrate`) may hold the write lock for a moment.
    database.pragma('busy_timeout = 5000');
    sessionReads.attach(database);
    return database;
  };
  return {
    kysely: new CachingSqliteDialect(open, () => sessionReads.wrote()),
    openFastReads: (db) => ({ ...readsThroughKysely(db), session: (key, load) => sessionReads.read(key, load) }),
    sessionCacheCounts: () => sessionReads.counts,
    // SQLite compares TEXT with the BINARY collation unless told otherwise: byte-exact already.
    columns: () => Promise.resolve({ key: () => 'text', text: 'text', time: 'integer', integer: 'integer' }),
    hasRowLocks: false,
    deleteReturning: true,
    hasPartialIndexes: true,
    upsert: 'on-conflict',
    deadlineMs: null,
    classifyError(error) {
      if (!(error instanceof Error)) return null;
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') {
        if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'conflict';
        if (UNAVAILABLE_CODES.test(code)) return 'unavailable';
      }
      if (error instanceof TypeError && error.message.includes('database connection is not open')) return 'unavailable';
      return null;
    },
  };
}
