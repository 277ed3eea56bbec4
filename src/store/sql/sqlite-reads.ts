import type { Database, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { SessionWithEmail } from '../../core/store.js';
import type { SessionReads } from './dialects.js';

/**
 * Sessions read from SQLite, kept in the process and exact: an entry is served only while the
 * database cannot have changed since it was read. Two things change it: a write through this
 * process's connection, which the driver reports (`wrote`), and a commit by any other
 * connection (another instance, `sesame gc`), which moves `PRAGMA data_version`. Either one
 * starts a new epoch, and entries of an older epoch are never served. Any write at all ends
 * the epoch, whatever rows it touched: exactness costs a re-read now and then, never a stale
 * answer.
 */
export class SqliteSessionReads implements SessionReads {
  readonly #entries: LRUCache<string, { session: SessionWithEmail; epoch: number }>;
  #database: Database | null = null;
  #dataVersion: Statement<[], number> | null = null;
  #lastDataVersion = -1;
  #epoch = 0;

  constructor(maxEntries: number) {
    this.#entries = new LRUCache({ max: maxEntries });
  }

  /** Starts serving from `database` once the driver has opened it. */
  attach(database: Database): void {
    this.#database = database;
    this.#dataVersion = database.prepare<[], number>('pragma data_version').pluck();
    this.#lastDataVersion = -1;
    this.#epoch += 1;
  }

  /** This process wrote (or began a transaction): what was read before may be stale. */
  wrote(): void {
    this.#epoch += 1;
  }

  /**
   * The present epoch, or null before the database is open and once it is closed. A write
   * inside a transaction ends the epoch when it runs, as any other write does.
   */
  epoch(): number | null {
    const database = this.#database;
    if (!database?.open) return null;
    let dataVersion: number;
    try {
      dataVersion = this.#dataVersion!.get()!;
    } catch {
      // The database cannot say (busy, failing): nothing is served, and the read that
      // follows meets the same error where it is classified.
      return null;
    }
    if (dataVersion !== this.#lastDataVersion) {
      this.#lastDataVersion = dataVersion;
      this.#epoch += 1;
    }
    return this.#epoch;
  }

  /** The session read under `key` in this epoch, if any. */
  get(key: string, epoch: number): SessionWithEmail | undefined {
    const entry = this.#entries.get(key);
    return entry?.epoch === epoch ? entry.session : undefined;
  }

  /**
   * Keeps a session read from the database after `epoch()` said `epoch`. The read came after
   * that call, so it is at least as new as the epoch; anything written since has ended it.
   */
  set(key: string, session: SessionWithEmail, epoch: number): void {
    if (epoch === this.#epoch) this.#entries.set(key, { session: Object.freeze(session), epoch });
  }
}
