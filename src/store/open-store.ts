import type { Store } from '../core/store.js';

/** Which engine and where. A union, so each engine carries exactly the settings it needs. */
export type DatabaseConfig = { readonly engine: 'sqlite'; readonly path: string };

/** A store the CLI can also migrate. */
export interface EngineStore extends Store {
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
}

/**
 * Opens the store for `database`. Each engine's driver is imported only when chosen, so an
 * install never loads drivers it does not use. Throws when the database cannot be opened.
 */
export async function openStore(database: DatabaseConfig): Promise<EngineStore> {
  switch (database.engine) {
    case 'sqlite': {
      const [{ openSqlite }, { SqlStore }] = await Promise.all([
        import('./sql/sqlite-dialect.js'),
        import('./sql/sql-store.js'),
      ]);
      return new SqlStore(openSqlite(database.path));
    }
  }
}
