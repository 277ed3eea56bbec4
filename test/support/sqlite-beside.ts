import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import type { EngineStore } from '../../src/store/open-store.js';
import { storePerTest } from './databases.js';

/** What each test of a suite gets from `sqliteBesideReader`. */
export interface SqliteBesideReader {
  /** A migrated SQLite store on a fresh file. */
  readonly store: EngineStore;
  /** Another connection to that file, read-only, as another process would have: it sees only what is committed, and rows the port does not show. */
  readonly outside: Database.Database;
}

/** Registers hooks that give each test of the suite a fresh store and a reader beside it, closed after the test. */
export function sqliteBesideReader(): SqliteBesideReader {
  const current = storePerTest('sqlite');
  let outside: Database.Database | null = null;
  // Registered after storePerTest's hooks: opened once the file is migrated, closed before the store.
  beforeEach(() => {
    const { config } = current.database;
    if (config.engine !== 'sqlite') throw new Error(`a SQLite store was asked for, and ${config.engine} given`);
    outside = new Database(config.path, { readonly: true });
  });
  afterEach(() => {
    outside?.close();
    outside = null;
  });
  return {
    get store() {
      return current.store;
    },
    get outside() {
      if (!outside) throw new Error('used outside a test');
      return outside;
    },
  };
}
