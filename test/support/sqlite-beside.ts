import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type EngineStore } from '../../src/store/open-store.js';
import { tempDatabasePath } from './test-config.js';

/** What each test of a suite gets from `sqliteBesideReader`. */
export interface SqliteBesideReader {
  /** A migrated SQLite store on a fresh file. */
  readonly store: EngineStore;
  /** Another connection to that file, read-only, as another process would have: it sees only what is committed, and rows the port does not show. */
  readonly outside: Database.Database;
}

/** Registers hooks that give each test of the suite a fresh store and a reader beside it, closed after the test. */
export function sqliteBesideReader(): SqliteBesideReader {
  let current: SqliteBesideReader | null = null;
  beforeEach(async () => {
    const path = tempDatabasePath();
    const store = await openStore({ engine: 'sqlite', path });
    await store.migrate();
    current = { store, outside: new Database(path, { readonly: true }) };
  });
  afterEach(async () => {
    current?.outside.close();
    await current?.store.close();
    current = null;
  });
  const now = () => {
    if (!current) throw new Error('used outside a test');
    return current;
  };
  return {
    get store() {
      return now().store;
    },
    get outside() {
      return now().outside;
    },
  };
}
